# Benchmarks are collected only when pytest is pointed at benchmarks/.
