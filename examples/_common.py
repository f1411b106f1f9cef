"""What the examples share: their command line and how they save a picture."""
import argparse
import io
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image  # a dependency of matplotlib


def arguments(doc, argv=None, **extra):
    """Parse ``--quick`` and ``--out DIR`` (and ``extra``: option -> kwargs)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, a few seconds (what CI runs)")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "images",
                        help="folder of the picture (default: examples/images)")
    for option, kwargs in extra.items():
        parser.add_argument("--" + option.replace("_", "-"), **kwargs)
    return parser.parse_args(argv)


def save_png(fig, out, name, dpi=80):
    """Save ``fig`` as ``out/name`` and close it; return the path.

    The picture is written as a 256-colour palette PNG: to the eye the same as
    ``fig.savefig``, and three to four times smaller (the repository keeps them).
    """
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    image = Image.open(buffer).convert("RGB")
    image.quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"picture: {path}")
    return path
