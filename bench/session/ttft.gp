# gnuplot script of the session benchmark: one chart per scenario, TTFT per turn (log scale),
# one line per target plus the physical limit. Called by plot.mjs with
#   -e "datafile='...'; outfile='...'; charttitle='...'; ncols=N; restartx=X"
# The data file: column 1 = x, 2 = step label, 3 = limit ms, 4..N = each target's TTFT ms,
# with a header line of column titles. restartx > 0 draws a vertical "restart" mark at x.
set terminal pngcairo size 1000,600 font "DejaVu Sans,11" noenhanced
set output outfile
set title charttitle
set key outside right top vertical
set logscale y 10
set format y "%g"
set ylabel "time to first token (ms, log scale)"
set xlabel "request (session turn)"
set grid ytics mytics xtics lc rgb "#dddddd"
set xtics rotate by -45
set datafile missing "-"
set style line 1 lc rgb "#000000" lw 2 dt 2 pt 0
set style line 2 lc rgb "#d62728" lw 2 pt 7 ps 0.9
set style line 3 lc rgb "#ff7f0e" lw 2 pt 5 ps 0.9
set style line 4 lc rgb "#1f77b4" lw 2 pt 9 ps 0.9
set style line 5 lc rgb "#2ca02c" lw 2 pt 11 ps 0.9
set style line 6 lc rgb "#9467bd" lw 2 pt 13 ps 0.9
set style line 7 lc rgb "#8c564b" lw 2 pt 15 ps 0.9
if (restartx > 0) { set arrow from restartx, graph 0 to restartx, graph 1 nohead lc rgb "#888888" dt 3 lw 2; set label "server restart" at restartx, graph 0.55 offset 0.5,0 textcolor rgb "#555555" }
plot datafile using 1:3:xtic(2) with lines ls 1 title columnheader(3), \
     for [i=4:ncols] datafile using 1:i with linespoints ls (i-2) title columnheader(i)
