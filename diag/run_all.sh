#!/bin/bash
# Every experiment of docs/protected_cost.md, from the worktree root, one at a
# time on one torch thread (about 45 minutes on a shared 2-core machine).
set -e
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
R=diag/results
mkdir -p $R
python diag/ls_baseline.py                       # our LS cell, -55.669
FIRST="default 0 1 2 3 4 5 6 7 8 9 10 11"
MORE="14 15 18 21 22 25 26 31 32 38 43 45"      # chosen by share x1 only
for v in ours zero_ridge; do
  python -W ignore diag/ls_seeds.py $R/ls_seeds_$v.csv $v $FIRST
  python -W ignore diag/ls_seeds.py $R/ls_seeds_more_$v.csv $v $MORE
done
python -W ignore diag/ls_seeds.py $R/ls_seeds_zero_adv.csv zero_adv $FIRST
python -W ignore diag/ls_settings.py $R/ls_settings_default.csv default
python -W ignore diag/pair.py credit_default $R/tab_credit_default.csv ours
python -W ignore diag/pair.py adult $R/tab_adult.csv ours
python -W ignore diag/pair.py adult $R/pair_adult_zero_adv.csv zero_adv
python -W ignore diag/pair.py credit_default $R/pair_credit_default_zero_adv.csv zero_adv
for n in circles moons overlapping; do
  python -W ignore diag/pair.py $n $R/pair_$n.csv ours zero_ridge
done
python diag/tables.py
