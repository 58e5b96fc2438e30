"""Drivers: the demo, the benchmark, the evaluation, the mutation run and the edition screenshot.

They drive the release toolkit and the local stand-ins from outside; nothing in either imports them.
"""
