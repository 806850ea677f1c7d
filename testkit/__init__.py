"""Helpers shared by the tests (tests/) and the benchmark (bench/), owned by neither.

Nothing here is imported by the product; tests/ and bench/ import from here and never from
each other, so neither depends on the other's layout.

* :mod:`testkit.telegram`: a fake Telegram Bot API server the real bot runs against;
* :mod:`testkit.scenario` and :mod:`testkit.residents`: what a simulated resident says and
  the driver that says it through the fake server;
* :mod:`testkit.processes`: memory and CPU time of a process tree, from /proc.
"""
