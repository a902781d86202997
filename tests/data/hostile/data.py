"""The hostile-input corpus: files an attacker or a careless user hands us, written by `write_corpus(out, url)`.

Each `Case` names the command that must refuse it (argv template, ``{dir}`` = the case folder), the text the
one-line refusal must contain, and which UI handler to try (``rs``, ``cxr`` or None). `url` is a local HTTP
server's base address: the VRT and GDAL_WMS cases point at it, and the test asserts it never sees a request.
Everything is small on disk and generated in a few seconds; the "huge" files are huge only in what they declare.
Run ``python tests/data/hostile/data.py OUT`` to look at the files.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.filewriter import dcmwrite, write_file_meta_info
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)
from rasterio.transform import from_origin


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]  # after `sve`; {dir} is the case folder
    expected: str  # part of the refusal
    ui: str | None = None  # "rs" (before, after) or "cxr" (prior, current) handler to try as well
    ui_inputs: list[str] = field(default_factory=list)  # file names in the case folder for the UI handler


def write_corpus(out: Path, url: str) -> list[Case]:
    out.mkdir(parents=True, exist_ok=True)
    good = _scene(out / "good.tif")
    cases = [*_raster_cases(out, good, url), *_dicom_cases(out), *_zip_cases(out), *_train_cases(out),
             *_eval_cases(out)]
    return cases


def _rs(name: str, bad: str, expected: str) -> Case:
    return Case(name, ["rs", "describe", "--before", "{dir}/good.tif", "--after", f"{{dir}}/{bad}", "--out",
                       "{dir}/out_" + name], expected, "rs", ["good.tif", bad])


def _inspect(name: str, file: str, expected: str) -> Case:
    return Case(name, ["cxr", "inspect", f"{{dir}}/{file}"], expected, "cxr", [file, file])


def _raster_cases(out: Path, good: Path, url: str) -> list[Case]:
    band = '<VRTRasterBand dataType="Byte" band="{b}"><SimpleSource><SourceFilename relativeToVRT="0">{src}' \
           '</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>'
    def vrt(src: str) -> str:
        bands = "".join(band.format(b=b, src=src) for b in (1, 2, 3))
        return f'<VRTDataset rasterXSize="64" rasterYSize="64">{bands}</VRTDataset>'
    (out / "vrt_local.tif").write_text(vrt(str(good)))
    (out / "vrt_url.tif").write_text(vrt(f"/vsicurl/{url}/secret.tif"))
    (out / "wms.tif").write_text(f'<GDAL_WMS><Service name="TMS"><ServerUrl>{url}/${{z}}/${{x}}/${{y}}.png</ServerUrl>'
                                 '</Service><DataWindow><UpperLeftX>0</UpperLeftX><UpperLeftY>64</UpperLeftY>'
                                 '<LowerRightX>64</LowerRightX><LowerRightY>0</LowerRightY><SizeX>64</SizeX>'
                                 '<SizeY>64</SizeY></DataWindow></GDAL_WMS>')
    _sparse(out / "sparse.tif")
    (out / "empty.tif").write_bytes(b"")
    Image.new("RGB", (8, 8)).save(out / "gif_as.tif", format="GIF")
    Image.new("RGB", (1, 1), (9, 9, 9)).save(out / "one_pixel.png")
    Image.new("RGB", (1, 1), (9, 9, 9)).save(out / "one_pixel_b.png")
    _scene(out / "nan.tif", fill=np.nan)
    (out / "folder.tif").mkdir(exist_ok=True)
    return [
        _rs("vrt_local", "vrt_local.tif", "not a GeoTIFF, PNG or JPEG"),
        _rs("vrt_url", "vrt_url.tif", "not a GeoTIFF, PNG or JPEG"),
        _rs("gdal_wms", "wms.tif", "not a GeoTIFF, PNG or JPEG"),
        Case("sparse_100k", ["rs", "describe", "--before", "{dir}/sparse.tif", "--after", "{dir}/sparse.tif",
                             "--out", "{dir}/out_sparse"], "--max-tiles", "rs", ["sparse.tif", "sparse.tif"]),
        _rs("zero_bytes", "empty.tif", "empty"),
        _rs("wrong_extension", "gif_as.tif", "not a GeoTIFF, PNG or JPEG"),
        Case("one_pixel", ["rs", "describe", "--before", "{dir}/one_pixel.png", "--after", "{dir}/one_pixel_b.png",
                           "--out", "{dir}/out_one"], "one_pixel", "rs", ["one_pixel.png", "one_pixel_b.png"]),
        _rs("nan_only", "nan.tif", "nan.tif"),
        _rs("folder", "folder.tif", "a folder"),
    ]


def _scene(path: Path, fill: float | None = None) -> Path:
    rng = np.random.default_rng(0)
    data = rng.uniform(0, 1000, (3, 64, 64)).astype("float32") if fill is None else np.full((3, 64, 64), fill, "float32")
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=3, dtype="float32",
                       crs="EPSG:32631", transform=from_origin(500_000, 5_000_000, 10, 10)) as dst:
        dst.write(data)
    return path


def _sparse(path: Path) -> None:
    """100,000 x 100,000 px, tiled, nodata 0, only a few blocks written: a few megabytes on disk."""
    with rasterio.open(path, "w", driver="GTiff", width=100_000, height=100_000, count=3, dtype="uint8",
                       tiled=True, blockxsize=256, blockysize=256, sparse_ok=True, compress="deflate", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500_000, 5_000_000, 0.5, 0.5)) as dst:
        rng = np.random.default_rng(1)
        for k in range(0, 100_000, 10_000):
            dst.write(rng.integers(1, 255, (3, 256, 256), dtype=np.uint8),
                      window=rasterio.windows.Window(k, k, 256, 256))


def _dicom(rows: int, cols: int, pixels: bytes | None) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.ViewPosition = "DX", "PA"
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = rows, cols, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if pixels is not None:
        ds.PixelData = pixels
    return ds


def _dicom_cases(out: Path) -> list[Case]:
    # RLE: compress a small image, then declare 30,000 x 30,000
    ds = _dicom(64, 64, np.zeros((64, 64), np.uint16).tobytes())
    ds.compress(RLELossless, generate_instance_uid=False)
    ds.Rows = ds.Columns = 30_000
    dcmwrite(out / "huge_rle.dcm", ds, enforce_file_format=True)
    _deflated_bomb(out / "huge_deflated.dcm", side=17_000)
    dcmwrite(out / "no_pixels.dcm", _dicom(64, 64, None), enforce_file_format=True)
    (out / "empty.dcm").write_bytes(b"")
    Image.new("L", (8, 8)).save(out / "png_as.dcm", format="PNG")
    return [
        _inspect("dicom_huge_rle", "huge_rle.dcm", "--max-dicom-pixels"),
        _inspect("dicom_huge_deflated", "huge_deflated.dcm", "--max-dicom-mb"),
        _inspect("dicom_no_pixels", "no_pixels.dcm", "no Pixel Data"),
        _inspect("dicom_zero_bytes", "empty.dcm", "empty.dcm"),
        _inspect("dicom_wrong_extension", "png_as.dcm", "not a DICOM"),
    ]


def _deflated_bomb(path: Path, side: int) -> None:
    """A Deflated Explicit VR Little Endian file whose data set inflates to side^2 * 2 bytes of zeros."""
    header = _dicom(side, side, None)
    body = io.BytesIO()
    dcmwrite(body, header, write_like_original=True)  # explicit VR LE data set, no preamble or meta
    meta = FileMetaDataset(header.file_meta)
    meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    size = side * side * 2
    with path.open("wb") as handle:
        handle.write(b"\0" * 128 + b"DICM")
        meta_bytes = io.BytesIO()
        write_file_meta_info(meta_bytes, meta, enforce_standard=True)
        handle.write(meta_bytes.getvalue())
        handle.write(compressor.compress(body.getvalue()))
        handle.write(compressor.compress(b"\xe0\x7f\x10\x00OW\0\0" + size.to_bytes(4, "little")))
        zeros = bytes(2**20)
        for _ in range(size // len(zeros)):
            handle.write(compressor.compress(zeros))
        handle.write(compressor.compress(bytes(size % len(zeros))) + compressor.flush())


def _zip_cases(out: Path) -> list[Case]:
    with zipfile.ZipFile(out / "many.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for k in range(2_000):
            archive.writestr(f"m{k}.dcm", bytes(1024))
    with zipfile.ZipFile(out / "ratio.zip", "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("big.dcm", "w", force_zip64=True) as member:
        for _ in range(600):
            member.write(bytes(2**20))
    with zipfile.ZipFile(out / "symlink.zip", "w") as archive:
        link = zipfile.ZipInfo("image_1.dcm")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
    with zipfile.ZipFile(out / "slip.zip", "w") as archive:
        archive.writestr("../../escaped.dcm", b"x")
    png = io.BytesIO()
    Image.new("L", (8, 8)).save(png, format="PNG")
    with zipfile.ZipFile(out / "poly.zip", "w") as archive:  # a PNG with a zip appended: a polyglot
        archive.writestr("../x.dcm", b"x")
    (out / "polyglot.zip").write_bytes(png.getvalue() + (out / "poly.zip").read_bytes())
    return [
        _inspect("zip_2000_members", "many.zip", "--max-zip-members"),
        _inspect("zip_ratio", "ratio.zip", "zip bomb"),
        _inspect("zip_symlink", "symlink.zip", "symbolic link"),
        _inspect("zip_slip", "slip.zip", "leaves the archive folder"),
        _inspect("zip_polyglot", "polyglot.zip", "leaves the archive folder"),
    ]


def _train_cases(out: Path) -> list[Case]:
    images = out / "train" / "images"
    images.mkdir(parents=True, exist_ok=True)
    for name in ("a", "b"):
        Image.new("RGB", (32, 32), (10, 20, 30)).save(images / f"{name}.png")
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 10, 10)).save(buffer, format="JPEG")
    (images / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    def record(answer: str, second: str = "images/b.png") -> str:
        return json.dumps({"messages": [{"role": "user", "content": "<image><image>What changed?"},
                                        {"role": "assistant", "content": answer}],
                           "images": ["images/a.png", second]})
    good = [record("nothing changed") for _ in range(6)]
    (out / "train" / "truncated_jpeg.jsonl").write_text("\n".join([*good, record("x", "images/cut.jpg")]) + "\n")
    (out / "train" / "long_answer.jsonl").write_text("\n".join([*good, record("a" * 10_000_000)]) + "\n")
    (out / "train" / "not_utf8.jsonl").write_bytes(("\n".join(good) + "\n").encode() + b'{"messages": "\xff"}\n')
    (out / "train" / "good.jsonl").write_text("\n".join(good) + "\n")
    checkpoint = out / "train" / "checkpoint-1"
    checkpoint.mkdir(exist_ok=True)
    header = json.dumps({"w": {"dtype": "F32", "shape": [1024], "data_offsets": [0, 4096]}}).encode()
    (checkpoint / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + bytes(1000))
    def train(name: str, data: str, expected: str, *extra: str) -> Case:
        return Case(name, ["train", "--data", f"{{dir}}/train/{data}", "--output-dir", "{dir}/out_" + name,
                           "--max-steps", "1", *extra], expected)
    return [
        train("train_truncated_jpeg", "truncated_jpeg.jsonl", "truncated_jpeg.jsonl:7"),
        train("train_10mb_answer", "long_answer.jsonl", "long_answer.jsonl:7"),
        train("train_not_utf8", "not_utf8.jsonl", "not_utf8.jsonl:7"),
        train("train_truncated_checkpoint", "good.jsonl", "model.safetensors", "--resume-from",
              "{dir}/train/checkpoint-1"),
    ]


def _eval_cases(out: Path) -> list[Case]:
    (out / "refs.json").write_text(json.dumps({"1": ["a cat"]}))
    (out / "preds_folder.json").mkdir(exist_ok=True)
    (out / "preds_empty.json").write_bytes(b"")
    (out / "preds_text.json").write_text("this is not json")
    (out / "preds_deep.json").write_text("[" * 200_000 + "]" * 200_000)
    def score(name: str, preds: str, expected: str) -> Case:
        return Case(name, ["eval", "captions", "--predictions", f"{{dir}}/{preds}", "--references",
                           "{dir}/refs.json", "--out", "{dir}/out_" + name], expected)
    return [
        score("eval_folder", "preds_folder.json", "is a folder"),
        score("eval_empty", "preds_empty.json", "empty"),
        score("eval_not_json", "preds_text.json", "not valid JSON"),
        score("eval_deep", "preds_deep.json", "nested too deeply"),
    ]


if __name__ == "__main__":
    for case in write_corpus(Path(sys.argv[1]), "http://127.0.0.1:9"):
        print(case.name, os.path.join(sys.argv[1], " ".join(case.argv)))
