"""Benchmarks: what a submission costs in time, memory and money, against a bare Chalice app.

`make bench` (`python -m bench`) runs every figure in one run and prints the table; see README, "Performance".
"""
