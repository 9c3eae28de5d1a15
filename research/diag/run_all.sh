#!/bin/bash
# Every experiment of research/notes/protected_cost.md, from the checkout's root, in two
# lanes of one torch thread each (about 35 minutes on a shared 2-core
# machine).
set -e
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
R=research/diag/results
mkdir -p $R
FIRST="default 0 1 2 3 4 5 6 7 8 9 10 11"
MORE="14 15 18 21 22 25 26 31 32 38 43 45"      # chosen by share x1 only
lane_a() {
  python research/diag/ls_baseline.py                     # our LS cell (reproduce, seed 0)
  # the reference's centres (the package's LS and OL), reproduce's five seeds
  python -W ignore research/diag/reference_centres.py $R/reference_ls.csv linearly_separable 5 ours zero_ridge
  python -W ignore research/diag/ls_seeds.py $R/ls_seeds_ours.csv ours $FIRST
  python -W ignore research/diag/ls_seeds.py $R/ls_seeds_more_ours.csv ours $MORE
  python -W ignore research/diag/ls_seeds.py $R/ls_seeds_zero_adv.csv zero_adv $FIRST
  python -W ignore research/diag/ls_settings.py $R/ls_settings_default.csv default
}
lane_b() {
  python -W ignore research/diag/ls_seeds.py $R/ls_seeds_zero_ridge.csv zero_ridge $FIRST
  python -W ignore research/diag/ls_seeds.py $R/ls_seeds_more_zero_ridge.csv zero_ridge $MORE
  for n in credit_default adult; do
    python -W ignore research/diag/pair.py $n $R/tab_$n.csv ours
    python -W ignore research/diag/pair.py $n $R/pair_${n}_zero_adv.csv zero_adv
    python -W ignore research/diag/pair.py $n $R/pair_${n}_train_no_groups.csv train_no_groups
  done
  python -W ignore research/diag/reference_centres.py $R/reference_ol.csv overlapping 5 ours zero_ridge
  python -W ignore research/diag/pair.py overlapping:drawn $R/pair_overlapping_drawn.csv ours zero_ridge
  for n in circles moons; do
    python -W ignore research/diag/pair.py $n $R/pair_$n.csv ours zero_ridge
  done
  for n in california_housing gmsc; do
    python -W ignore research/diag/pair.py $n $R/tab_$n.csv ours
  done
}
lane_a > $R/lane_a.log 2>&1 &
A=$!
lane_b > $R/lane_b.log 2>&1 &
B=$!
wait $A
wait $B
python research/diag/tables.py
