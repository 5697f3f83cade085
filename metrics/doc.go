// Package metrics scores predicted images and maps against ground truth with
// exact, tested definitions. Pixel values are in [0,1] (img.Image); every
// image metric takes two images of the same size and returns an error naming
// both sizes otherwise.
//
//   - MSE, RMSE, PSNR: over all pixels and all three channels, MAX = 1.
//
//   - SSIM: Wang et al. 2004 with an 11×11 Gaussian window (σ = 1.5), K1 = 0.01,
//     K2 = 0.03, L = 1, population statistics, valid windows only, per channel,
//     averaged over R, G, B — the value scikit-image's
//     structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
//     use_sample_covariance=False, data_range=1, channel_axis=-1) returns.
//
//   - MIoU: mean intersection over union of label maps, over the classes
//     present in either map.
//
//   - MeanAngleError: mean angle in degrees between normal maps encoded as
//     n = 2·v − 1.
//
//   - ChangedMask, Dilate, MaskedPSNR: the pixels where two images differ,
//     grown by r pixels (Chebyshev), and the PSNR over a mask only.
//
//   - ClusterMean, PairedClusterMean: a mean and its cluster-robust
//     standard error, sd of the G cluster means over √G (queries answered
//     from one prompt are a cluster); MeanOfEstimates combines independent
//     estimates (√(Σ SE²)/K).
//
// Compare bundles PSNR, SSIM and RMSE into Scores, which marshals to JSON as
// {"psnr":…,"ssim":…,"rmse":…}.
package metrics
