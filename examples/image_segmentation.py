"""Colour segmentation of a photograph with a Gaussian mixture.

Every pixel of scikit-learn's sample photograph "china.jpg" (427 x 640, shipped
with scikit-learn: no download) is a point in RGB space; a GaussianMixture fitted
on them in float32 groups the pixels into colour components, and each pixel is
replaced by the mean colour of its component.  The picture shows the original and
the segmented photograph side by side; the fit's timing is printed.

    python examples/image_segmentation.py            # the full image, 16 colours
    python examples/image_segmentation.py --quick    # a quarter of the pixels, 4 colours
    python examples/image_segmentation.py --sklearn  # and time scikit-learn's fit
"""
import time

import numpy as np
import matplotlib.pyplot as plt
from sklearn.datasets import load_sample_image  # needs Pillow, as matplotlib does

from fastgmm import GaussianMixture
from _common import arguments, save_png


def main(argv=None):
    args = arguments(__doc__, argv, n_colors=dict(
        type=int, help="number of components (default: 16, 4 with --quick)"),
        sklearn=dict(action="store_true", help="time scikit-learn's fit too"))
    n_colors = args.n_colors or (4 if args.quick else 16)

    image = load_sample_image("china.jpg")
    if args.quick:
        image = image[::2, ::2]                       # a quarter of the pixels
    height, width, _ = image.shape
    X = (image.reshape(-1, 3) / 255).astype(np.float32)   # float32 stays float32

    t0 = time.perf_counter()
    gmm = GaussianMixture(n_colors, covariance_type="full", random_state=0).fit(X)
    t1 = time.perf_counter()
    labels = gmm.predict(X)
    t2 = time.perf_counter()
    print(f"image: {height} x {width} = {X.shape[0]:,} pixels, {n_colors} colours")
    print(f"fit: {t1 - t0:.2f} s ({gmm.n_iter_} EM iterations, converged="
          f"{gmm.converged_}, means_ dtype {gmm.means_.dtype}); "
          f"predict: {t2 - t1:.3f} s")
    for k in np.argsort(-gmm.weights_):
        r, g, b = np.clip(gmm.means_[k] * 255, 0, 255).round().astype(int)
        print(f"  component {k:2d}: #{r:02x}{g:02x}{b:02x} "
              f"{gmm.weights_[k]:6.1%} of pixels")
    if args.sklearn:
        from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
        t0 = time.perf_counter()
        sk = SklearnGaussianMixture(n_colors, random_state=0).fit(X)
        print(f"scikit-learn fit: {time.perf_counter() - t0:.2f} s "
              f"({sk.n_iter_} EM iterations)")

    segmented = np.clip(gmm.means_[labels], 0, 1).reshape(height, width, 3)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.1), layout="constrained")
    axes[0].imshow(image)
    axes[0].set_title("original")
    axes[1].imshow(segmented)
    axes[1].set_title(f"segmented: {n_colors} component means")
    for ax in axes:
        ax.set_axis_off()

    save_png(fig, args.out, "image_segmentation.png", dpi=90)


if __name__ == "__main__":
    main()
