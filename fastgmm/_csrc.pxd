# Declarations of the C core (csrc/fastgmm.h).  Every function is reentrant and is
# called with the GIL released, one scratch buffer per thread.
from libc.stdint cimport int32_t, int64_t

cdef extern from "fastgmm.h" nogil:
    int FGMM_BLOCK
    int FGMM_FULL
    int FGMM_TIED
    int FGMM_DIAG
    int FGMM_SPHERICAL
    int FGMM_OK
    int FGMM_BLAS_MIN_D

    ctypedef void (*fgmm_trmm_d_t)(char *side, char *uplo, char *transa, char *diag,
                                   int *m, int *n, double *alpha, double *a, int *lda,
                                   double *b, int *ldb)
    ctypedef void (*fgmm_syrk_d_t)(char *uplo, char *trans, int *n, int *k,
                                   double *alpha, double *a, int *lda, double *beta,
                                   double *c, int *ldc)
    ctypedef void (*fgmm_trmm_f_t)(char *side, char *uplo, char *transa, char *diag,
                                   int *m, int *n, float *alpha, float *a, int *lda,
                                   float *b, int *ldb)
    ctypedef void (*fgmm_syrk_f_t)(char *uplo, char *trans, int *n, int *k,
                                   float *alpha, float *a, int *lda, float *beta,
                                   float *c, int *ldc)

    ctypedef struct fgmm_params_d:
        int n_features
        int n_components
        int cov_type
        const double *means_hi
        const double *means_lo
        const double *prec
        const double *log_norm
        fgmm_trmm_d_t trmm
        fgmm_syrk_d_t syrk

    ctypedef struct fgmm_params_f:
        int n_features
        int n_components
        int cov_type
        const float *means_hi
        const float *means_lo
        const float *prec
        const float *log_norm
        fgmm_trmm_f_t trmm
        fgmm_syrk_f_t syrk

    size_t fgmm_em_scratch_size_d(int n_features, int n_components)
    size_t fgmm_em_scratch_size_f(int n_features, int n_components)
    size_t fgmm_stats_size_d(int n_features, int n_components, int cov_type)
    size_t fgmm_kmeans_scratch_size_d(int n_features, int n_clusters)
    size_t fgmm_kmeans_scratch_size_f(int n_features, int n_clusters)

    int fgmm_em_rows_d(const fgmm_params_d *params, const double *X,
                       Py_ssize_t row_stride, Py_ssize_t col_stride,
                       const double *sample_weight, Py_ssize_t row_begin,
                       Py_ssize_t row_end, double *scratch, double *partial)
    int fgmm_em_rows_f(const fgmm_params_f *params, const float *X,
                       Py_ssize_t row_stride, Py_ssize_t col_stride,
                       const double *sample_weight, Py_ssize_t row_begin,
                       Py_ssize_t row_end, float *scratch, double *partial)

    void fgmm_score_rows_d(const fgmm_params_d *params, const double *X,
                           Py_ssize_t row_stride, Py_ssize_t col_stride,
                           Py_ssize_t row_begin, Py_ssize_t row_end, double *scratch,
                           double *weighted_logprob, double *resp, double *loglik,
                           int64_t *label)
    void fgmm_score_rows_f(const fgmm_params_f *params, const float *X,
                           Py_ssize_t row_stride, Py_ssize_t col_stride,
                           Py_ssize_t row_begin, Py_ssize_t row_end, float *scratch,
                           double *weighted_logprob, double *resp, double *loglik,
                           int64_t *label)

    void fgmm_kmeans_rows_d(const double *X, Py_ssize_t row_stride,
                            Py_ssize_t col_stride, int n_features, int n_clusters,
                            const double *centers, const double *sample_weight,
                            Py_ssize_t row_begin, Py_ssize_t row_end, double *scratch,
                            int32_t *label, double *min_dist, double *partial)
    void fgmm_kmeans_rows_f(const float *X, Py_ssize_t row_stride,
                            Py_ssize_t col_stride, int n_features, int n_clusters,
                            const float *centers, const double *sample_weight,
                            Py_ssize_t row_begin, Py_ssize_t row_end, float *scratch,
                            int32_t *label, double *min_dist, double *partial)

    double fgmm_nearest_update_d(const double *X, Py_ssize_t row_stride,
                                 Py_ssize_t col_stride, int n_features,
                                 const double *c, const double *sample_weight,
                                 Py_ssize_t row_begin, Py_ssize_t row_end,
                                 double *min_dist, int update)
    double fgmm_nearest_update_f(const float *X, Py_ssize_t row_stride,
                                 Py_ssize_t col_stride, int n_features,
                                 const float *c, const double *sample_weight,
                                 Py_ssize_t row_begin, Py_ssize_t row_end,
                                 double *min_dist, int update)
