"""Names vulture (run by .ci/run at 60% confidence over the code, the tests and the benchmarks) cannot see being
used: framework hooks called by name, attributes read by a library, fields of on-disk records. Everything else it
reports is dead code and goes. Add a name here only with the reason next to it."""

# transformers TrainerCallback and http.server hooks, called by name
_.on_train_begin
_.on_step_begin
_.on_step_end
_.on_log
_.on_pre_optimizer_step
_.do_POST
_.do_GET
_.log_message
ignore_keys  # Trainer.prediction_step signature

# module __getattr__ (lazy exports), context-manager and class-swap protocols
__getattr__
exc_info
_.__class__

# attributes written for a library to read: pydicom datasets, tokenizers, generation configs, requests sessions
_.SeriesDescription
_.BurnedInAnnotation
_.Laterality
_.verify
_.auth
_.SOPClassUID
_.SOPInstanceUID
_.StudyInstanceUID
_.SeriesInstanceUID
_.PatientSex
_.AcquisitionDate
_.SeriesDate
_.AcquisitionTime
_.SeriesTime
_.StudyTime
_.AccessionNumber
_.StudyDescription
_.BodyPartExamined
_.InstanceNumber
_.SeriesNumber
_.ViewPosition
_.ImagerPixelSpacing
_.RescaleIntercept
_.RescaleSlope
_.RescaleType
_.WindowCenter
_.WindowWidth
_.pad_token_id
_.pre_tokenizer
_.decoder

# fields of documented records (dataset rows, DICOM metadata), kept for readers of the saved files
photometric_interpretation
ref_id
question

# pytest reads it by name
pytestmark

# read by libraries: tempfile's module default, a Gradio session flag, pystac's Item fields, a processor's field
_.tempdir
_.is_closed
_.end_datetime
_.image_seq_length
# header attributes of the hostile corpus's hand-built DICOMs (read by pydicom when the file is written)
_.MediaStorageSOPClassUID
_.SamplesPerPixel
_.BitsStored
_.HighBit
_.PixelRepresentation
_.PixelData
# http.server hook, called by name
_.do_HEAD
# folium's CDN link lists, read by folium when a map renders (the RS web map empties them)
_.default_js
_.default_css
# pytest fixtures, requested by parameter name
scripted_cli
specs
