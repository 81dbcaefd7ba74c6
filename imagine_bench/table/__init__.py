"""Result tables: a grid of runs declared in ``configs/table/<name>.yaml``, run resumably, rendered to ``results/``.

    python -m imagine_bench.table run                     # the reference grid (configs/table/reference.yaml)
    python -m imagine_bench.table run steps_override=500000 n_jobs=8   # the same grid at the paper's scale
    python -m imagine_bench.table status                  # which cells are done, missing, failed
    python -m imagine_bench.table render                  # results/<name>/README.md, table.csv, figures/

:mod:`.grid` expands the YAML into cells, :mod:`.execute` runs the missing ones (joblib, one summary JSON per cell),
:mod:`.render` and :mod:`.figures` turn the summaries into tables and PNGs.
"""
