# Shared with the passes (_core): how many values a covariance type's parameters hold.
cdef Py_ssize_t cov_size(int cov_type, Py_ssize_t K, Py_ssize_t D) noexcept nogil
