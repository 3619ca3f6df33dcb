"""scripts/bench as a package: common.py (servers through tests/pylib/dkv_fixture.py,
redis-benchmark runs, a RESP client, tables), one module per report (strings, scripting,
hierarchical, cache, persistence, postgres, http_listener), cli.py (options, order of reports).
scripts/bench is the command; it calls cli.main()."""
