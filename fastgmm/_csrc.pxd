# Declarations of the C core (csrc/fastgmm.h), each written once: the kernels are
# reached through the fgmm_kernels table of the data's dtype.  Every kernel is
# reentrant and is called with the GIL released, one scratch buffer per thread.
from libc.stdint cimport int32_t, int64_t

cdef extern from "fastgmm.h" nogil:
    int FGMM_BLOCK
    int FGMM_BLAS_MIN_D

    enum: FGMM_FULL, FGMM_TIED, FGMM_DIAG, FGMM_SPHERICAL
    enum: FGMM_FLOAT64, FGMM_FLOAT32
    enum: FGMM_OK, FGMM_EINVAL, FGMM_ENOMEM
    enum: FGMM_STAT_LOGLIK, FGMM_STAT_WEIGHT, FGMM_STAT_RESP_ENTROPY, FGMM_STAT_NK
    enum: FGMM_STAT_S1, FGMM_STAT_S2, FGMM_N_STAT_FIELDS

    ctypedef void (*fgmm_blas_fn)()

    ctypedef struct fgmm_params:
        int dtype
        int n_features
        int n_components
        int cov_type
        const void *means_hi
        const void *means_lo
        const void *prec
        const void *log_norm
        int resp_entropy
        fgmm_blas_fn trmm
        fgmm_blas_fn syrk
        const void *hard_centers

    ctypedef struct fgmm_stats_layout:
        Py_ssize_t offset[7]   # FGMM_N_STAT_FIELDS + 1

    int fgmm_stats_layout_init(int n_features, int n_components, int cov_type,
                               fgmm_stats_layout *layout)
    size_t fgmm_em_scratch_bytes(int dtype, int n_features, int n_components)
    size_t fgmm_kmeans_scratch_bytes(int dtype, int n_features, int n_clusters)
    size_t fgmm_nearest_scratch_bytes(int n_features)

    ctypedef struct fgmm_kernels:
        int (*em_rows)(const fgmm_params *params, const void *X,
                       Py_ssize_t row_stride, Py_ssize_t col_stride,
                       const double *sample_weight, Py_ssize_t row_begin,
                       Py_ssize_t row_end, void *scratch, double *partial) noexcept nogil
        int (*score_rows)(const fgmm_params *params, const void *X,
                          Py_ssize_t row_stride, Py_ssize_t col_stride,
                          Py_ssize_t row_begin, Py_ssize_t row_end, void *scratch,
                          void *weighted_logprob, void *resp, void *loglik,
                          int64_t *label) noexcept nogil
        int (*kmeans_rows)(const void *X, Py_ssize_t row_stride,
                           Py_ssize_t col_stride, int n_features, int n_clusters,
                           const void *centers, const double *sample_weight,
                           Py_ssize_t row_begin, Py_ssize_t row_end, void *scratch,
                           int32_t *label, double *min_dist, double *partial) noexcept nogil
        int (*nearest_update)(const void *X, Py_ssize_t row_stride,
                              Py_ssize_t col_stride, int n_features, int n_centers,
                              const void *centers, const double *sample_weight,
                              Py_ssize_t row_begin, Py_ssize_t row_end, void *scratch,
                              double *min_dist, int update, double *partial) noexcept nogil

    enum: FGMM_ISA_BASELINE, FGMM_ISA_AVX2, FGMM_ISA_AVX512, FGMM_N_ISA
    enum: FGMM_KERNEL_EM_ROWS, FGMM_KERNEL_SCORE_ROWS, FGMM_KERNEL_KMEANS_ROWS
    enum: FGMM_KERNEL_NEAREST_UPDATE, FGMM_N_KERNELS

    const char *fgmm_isa_name(int isa)
    int fgmm_isa_compiled(int isa)
    int fgmm_isa_supported(int isa)
    int fgmm_isa_best()
    const fgmm_kernels *fgmm_kernels_for_isa(int dtype, int isa)
    const fgmm_kernels *fgmm_kernels_for(int dtype)
    int fgmm_kernel_isa(int dtype, int isa, int kernel)
    const char *fgmm_compiler()
    long fgmm_openmp_version()
