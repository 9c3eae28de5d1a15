#!/bin/bash
# Every experiment of research/notes/step_size.md, from the checkout's root, in two lanes
# of one torch thread each (about 13 minutes on an idle 2-core machine).
set -e
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
R=research/diag/results
mkdir -p $R
run() { python -W ignore research/diag/ip_steps.py $R/ip_steps_$1.csv "$@"; }
lane_a() {
  run linearly_separable 0 1 2 3 4 5 6 7 8 9
  run circles 0 1 2
  run moons 0 1 2
  run digits 0 1
}
lane_b() {
  run overlapping 0 1 2
  run california_housing 0 1
  run gmsc 0 1
  run adult 0 1
  run credit_default 0 1
}
lane_a > $R/steps_lane_a.log 2>&1 &
A=$!
lane_b > $R/steps_lane_b.log 2>&1 &
B=$!
wait $A
wait $B
python research/diag/step_tables.py
