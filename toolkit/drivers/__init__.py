"""Drivers: the demo, the benchmarks (`bench`, `fleet_bench`), the evaluation, the mutation run, the edition
screenshot and the timing of the test suite and the demo (`loop_bench`).

They drive the release toolkit and the local stand-ins from outside; nothing in either imports them.
"""
