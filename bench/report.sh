# bench/report.sh: sourced by bench/run once every figure is recorded in
# $res. Prints the table of ratios and writes docs/BENCHMARKS.md and
# docs/benchmarks.svg. Not meant to be run on its own.

fmt3() { # NAME: "median (min–max)"
	read -r m lo hi < <(stat "$1")
	[[ $m == - ]] && { echo "-"; return; }
	echo "$m ($lo–$hi)"
}
last=${sizes[${#sizes[@]} - 1]}
prev=${sizes[${#sizes[@]} - 2]}
flat() { # NAME_PREFIX: peak RSS at the largest size / at the one before
	ratio "$(med "$1.$last")" "$(med "$1.$prev")"
}
verdict() { # VALUE OP TARGET
	awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
		if (v == "-") { print "not measured"; exit }
		ok = (op == ">=") ? v >= t : v <= t
		print ok ? "met" : "**missed**" }'
}
sz() { if (($1 >= 1024)); then echo "$(($1 / 1024)) GiB"; else echo "$1 MiB"; fi; }

r_submit=$(ratio "$(med "submit.$big")" "$(med "stock-upload.$big")")
r_open=$(ratio "$(med "open.$big")" "$(med "stock-open.$big")")
# open net of its fixed cost (the scrypt unlock of the officer key, which
# stock age pays too when given the same passphrase-protected key at a terminal)
net_open=$(awk -v m="$(med "open.$big")" -v f="$(med open-fixed-ms)" -v b="$((big * mib))" 'BEGIN {
	if (m == "-" || f == "-") { print "-"; exit }
	t = b / (m * 1e6) - f / 1e3; if (t <= 0) print "-"; else printf "%.0f", b / t / 1e6 }')
r_open_net=$(ratio "$net_open" "$(med "stock-open.$big")")
r_small=$(ratio "$(med refuge.small)" "$(med tusd.small)")
r_big=$(ratio "$(med refuge.big)" "$(med tusd.big)")
r_open_same=$(ratio "$(med "open.$big")" "$(med "stock-open-same.$big")")
r_small_sync=$(ratio "$(med refuge.small)" "$(med tusd-sync.small)")
r_big_sync=$(ratio "$(med refuge.big)" "$(med tusd-sync.big)")
f_client=$(ratio "$(med "submit.$last.rss")" "$(med "submit.$prev.rss")") f_server=$(ratio "$(med "server.rss.$last")" "$(med "server.rss.$prev")") f_officer=$(ratio "$(med "open.$last.rss")" "$(med "open.$prev.rss")")
maxrss=$(cat "$res"/submit.*.rss "$res"/open.*.rss "$res"/server.rss.* | sort -g | tail -1)
f_client_s=$(ratio "$(med "submit.$last.stream-rss")" "$(med "submit.$prev.stream-rss")")
f_officer_s=$(ratio "$(med "open-light.$last.rss")" "$(med "open-light.$prev.rss")")
maxrss_s=$(cat "$res"/submit.*.stream-rss "$res"/open-light.*.rss "$res"/server.rss.* 2>/dev/null | sort -g | tail -1)
maxrss_s=${maxrss_s:--}
# CPU seconds per GiB of input, sender and receiving server
cpug() { # NAME: median CPU seconds of NAME, per GiB of input
	awk -v c="$(med "$1")" -v b="$big" 'BEGIN { if (c == "-") print "-"; else printf "%.2f", c * 1024 / b }'
}
sum2() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.2f", a + b }'; }
cpu_table=$(
	cat <<EOF
| CPU seconds per GiB of input ($(sz "$big"), medians) | sender or officer | receiving server | both |
| --- | --- | --- | --- |
| \`refuge submit\` → refuge-server | $(cpug "submit.$big.cpu") | $(cpug "submit.$big.srvcpu") | $(sum2 "$(cpug "submit.$big.cpu")" "$(cpug "submit.$big.srvcpu")") |
| \`age -r \| curl -T -\` → sink | $(cpug "stock-upload.$big.cpu") | $(cpug "stock-upload.$big.srvcpu") | $(sum2 "$(cpug "stock-upload.$big.cpu")" "$(cpug "stock-upload.$big.srvcpu")") |
| \`refuge-officer open\` | $(cpug "open.$big.cpu") | | |
| \`age -d \| tar x\` | $(cpug "stock-open.$big.cpu") | | |
EOF
)

table=$(
	cat <<EOF
| measure ($(sz "$big"), MB/s, median (min–max) of $RUNS) | Refuge | peer | ratio | target | |
| --- | --- | --- | --- | --- | --- |
| seal+upload: \`refuge submit\` → refuge-server vs \`age -r \| curl -T -\` → fsyncing sink | $(fmt3 "submit.$big") | $(fmt3 "stock-upload.$big") | $r_submit | ≥ 1.5 | $(verdict "$r_submit" ">=" 1.5) |
| open: \`refuge-officer open\` vs \`age -d -i KEY \| tar x\` | $(fmt3 "open.$big") | $(fmt3 "stock-open.$big") | $r_open | ≥ 1.0 | $(verdict "$r_open" ">=" 1.0) |
| open, net of the fixed cost of unlocking the officer key (see below) | $net_open | $(med "stock-open.$big") | $r_open_net | ≥ 1.0 | $(verdict "$r_open_net" ">=" 1.0) |
| server, 64 concurrent 1 MiB uploads: refuge-server (fsync) vs tusd (no fsync) | $(fmt3 refuge.small) | $(fmt3 tusd.small) | $r_small | ≥ 1.0 | $(verdict "$r_small" ">=" 1.0) |
| server, one $(sz "$big") upload: refuge-server (fsync) vs tusd (no fsync) | $(fmt3 refuge.big) | $(fmt3 tusd.big) | $r_big | ≥ 1.0 | $(verdict "$r_big" ">=" 1.0) |
| client peak RSS, $(sz "$last") / $(sz "$prev") | $(med "submit.$last.rss") / $(med "submit.$prev.rss") MiB | | $f_client | ≤ 1.10 | $(verdict "$f_client" "<=" 1.10) |
| server peak RSS, $(sz "$last") / $(sz "$prev") | $(med "server.rss.$last") / $(med "server.rss.$prev") MiB | | $f_server | ≤ 1.10 | $(verdict "$f_server" "<=" 1.10) |
| officer peak RSS, $(sz "$last") / $(sz "$prev") | $(med "open.$last.rss") / $(med "open.$prev.rss") MiB | | $f_officer | ≤ 1.10 | $(verdict "$f_officer" "<=" 1.10) |
| client peak RSS while streaming (after the receipt KDF), $(sz "$last") / $(sz "$prev") | $(med "submit.$last.stream-rss") / $(med "submit.$prev.stream-rss") MiB | | $f_client_s | ≤ 1.10 | $(verdict "$f_client_s" "<=" 1.10) |
| officer peak RSS with a key at the --dev work factor, $(sz "$last") / $(sz "$prev") | $(med "open-light.$last.rss") / $(med "open-light.$prev.rss") MiB | | $f_officer_s | ≤ 1.10 | $(verdict "$f_officer_s" "<=" 1.10) |
| largest peak RSS while streaming (client after its KDF, server, officer with a light key) | $maxrss_s MiB | | | < 64 MiB | $(verdict "$maxrss_s" "<=" 64) |
| largest peak RSS, key derivations included (Argon2id 64 MiB, scrypt 256 MiB, by design) | $maxrss MiB | | | < 64 MiB | $(verdict "$maxrss" "<=" 64) |
EOF
)

same=$(
	cat <<EOF
| measure ($(sz "$big"), MB/s, median (min–max) of $RUNS) | Refuge | peer, doing the same work | ratio | |
| --- | --- | --- | --- | --- |
| open: \`refuge-officer open\` vs \`age -d -i officer.key \| tar x\`, the same passphrase-protected key typed at a terminal, the extracted files fsynced | $(fmt3 "open.$big") | $(fmt3 "stock-open-same.$big") | $r_open_same | $(verdict "$r_open_same" ">=" 1.0) (≥ 1.0) |
| server, 64 concurrent 1 MiB uploads: refuge-server vs tusd, then syncfs(2) of its upload directory | $(fmt3 refuge.small) | $(fmt3 tusd-sync.small) | $r_small_sync | $(verdict "$r_small_sync" ">=" 1.0) (≥ 1.0) |
| server, one $(sz "$big") upload: refuge-server vs tusd, then syncfs(2) | $(fmt3 refuge.big) | $(fmt3 tusd-sync.big) | $r_big_sync | $(verdict "$r_big_sync" ">=" 1.0) (≥ 1.0) |
EOF
)

stages=$(
	cat <<EOF
| stage ($(sz "$big")) | MB/s, median (min–max) |
| --- | --- |
| durable disk write: \`dd conv=fsync\` | $(fmt3 dd) |
| stock age encrypt to /dev/null | $(fmt3 age-enc) |
| stock age decrypt to /dev/null | $(fmt3 age-dec) |
| seal+upload, seal alone: \`refuge seal\` (bundle written and fsynced) | $(fmt3 stage-seal) |
| seal+upload, upload alone: the sealed file, one PATCH, into refuge-server | $(fmt3 stage-upload) |
| open, decryption alone: stock \`age -d\` of the bundle (not in the page cache) to /dev/null | $(fmt3 stage-decrypt) |
| fixed cost of \`refuge-officer open\` (scrypt unlock of the officer key, startup), ms | $(fmt3 open-fixed-ms) |
| fixed cost of \`refuge seal\` (manifest check, Argon2id receipt KDF, startup), ms | $(fmt3 seal-fixed-ms) |
EOF
)

memory=$(
	echo "| input | client (\`refuge submit\`) | client, after its KDF | server (\`refuge-server\`) | officer (\`refuge-officer open\`) | officer, light key | stock \`age -d \| tar x\` (largest process) |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	for s in "${sizes[@]}"; do
		echo "| $(sz "$s") | $(fmt3 "submit.$s.rss") | $(med "submit.$s.stream-rss") | $(med "server.rss.$s") | $(fmt3 "open.$s.rss") | $(med "open-light.$s.rss") | $(med "stock-open.$s.rss") |"
	done
	echo
	echo "Fixed floor (the smallest bundle, a one-line note): \`refuge seal\` $(fmt3 seal-fixed-rss) MiB (the Argon2id receipt KDF takes 64 MiB by design), \`refuge-officer open\` $(fmt3 open-fixed-rss) MiB (age's scrypt unlock of the officer key, work factor 18, takes 256 MiB by design)."
	echo
	echo "Peak RSS of the servers over all uploads of the server comparison: refuge-server $(fmt3 refuge.rss) MiB, tusd $(fmt3 tusd.rss) MiB."
)

throughput=$(
	echo "| input | \`refuge submit\` | stock \`age \| curl\` | \`refuge-officer open\` | stock \`age -d \| tar x\` | stock, officer.key, fsynced |"
	echo "| --- | --- | --- | --- | --- | --- |"
	for s in "${sizes[@]}"; do
		echo "| $(sz "$s") | $(fmt3 "submit.$s") | $(fmt3 "stock-upload.$s") | $(fmt3 "open.$s") | $(fmt3 "stock-open.$s") | $(fmt3 "stock-open-same.$s") |"
	done
)

echo
echo "$table"
echo
echo "$same"
echo
echo "$stages"
echo
echo "$cpu_table"
echo

{
	for s in "${sizes[@]}"; do
		echo "throughput refuge_submit $s $(med "submit.$s")"
		echo "throughput stock_age|curl $s $(med "stock-upload.$s")"
		echo "throughput refuge-officer_open $s $(med "open.$s")"
		echo "throughput stock_age_-d|tar_x $s $(med "stock-open.$s")"
		echo "throughput stock_age_-d_officer.key|tar_x,_fsynced $s $(med "stock-open-same.$s")"
		echo "memory client_(refuge_submit) $s $(med "submit.$s.rss")"
		echo "memory server_(refuge-server) $s $(med "server.rss.$s")"
		echo "memory officer_(refuge-officer_open) $s $(med "open.$s.rss")"
		echo "memory stock_age_-d|tar_x $s $(med "stock-open.$s.rss")"
	done
} >"$work/points.txt"

if [[ $mode == quick ]]; then
	doc=$work/BENCHMARKS-quick.md svg=$work/benchmarks-quick.svg
	"$bin/plot" -o "$svg" <"$work/points.txt"
	say "quick mode: docs/BENCHMARKS.md left as it is"
	exit 0
fi
doc=$repo/docs/BENCHMARKS.md svg=$repo/docs/benchmarks.svg
"$bin/plot" -o "$svg" <"$work/points.txt"

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
memtotal=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
dev=$(df -P "$work" | awk 'NR == 2 { print $1 }')
fstype=$(df -PT "$work" | awk 'NR == 2 { print $2 }')
rot=$(cat "/sys/block/$(basename "$dev" | sed 's/[0-9]*$//')/queue/rotational" 2>/dev/null || echo "?")

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- . ':!docs' 2>/dev/null || commit="$commit with local changes"
cat >"$doc" <<EOF
# Benchmarks

Written by \`bench/run\` on $(date -u +"%Y-%m-%d %H:%M UTC") (mode: $mode) at commit
$commit. Refuge beside the
tools a user would pick instead, on the same machine, in the same run. Each figure is
the median of $RUNS runs with min and max, except at sizes above $(sz "$big") (one run).
Throughput is input (plaintext) bytes per second, 1 MB = 10^6 bytes; memory is peak
RSS (GNU \`time\` for the client, officer tool and stock pipelines; VmHWM for the servers;
for the client "after its KDF", VmHWM reset when the receipt phrase is printed). CPU
seconds are user + system (GNU \`time\` for commands, /proc/PID/stat for servers).
Targets are those of DESIGN.md section 8.

![throughput and memory against input size](benchmarks.svg)

## Ratios (Refuge / peer)

$table

## Like for like: the same peers doing the same work

The peers above do less than Refuge does: stock age is handed its key in clear, while
refuge-officer unlocks a passphrase-protected one (age scrypt, work factor 18) and
fsyncs what it extracts; tusd never fsyncs, while refuge-server acknowledges only what is
on disk. Here the same peers do the same work. The targets of DESIGN.md are judged on
the table above; this one shows where the difference comes from.

$same

## Physical limits and stages

$stages

## Where the CPU goes

Client and server share the same $(nproc) cores in this benchmark, so the CPU time each flow
spends per byte bounds its throughput as much as the disk does.

$cpu_table

## Throughput by input size

$throughput

## Peak memory by input size (MiB)

$memory

## Machine

- $(nproc) cores: $cpu
- memory: $memtotal
- disk: $dev ($fstype, rotational: $rot), free at the start: ${avail_mib} MiB
- $(go env GOVERSION), $(uname -sr), binaries built with \`-trimpath\`, CGO_ENABLED=0
- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). This is a virtual machine on
  shared hardware: absolute figures vary by tens of percent from one run to the next,
  and more between days (a durable 1 GiB write measured 450 to 1536 MB/s, and the CPU
  model changed), so compare figures within one run; every ratio is from the same run.

## Exact commands

Keys: \`bench/internal/setup\` writes a post-quantum officer identity (in clear for stock
age, \`key.txt\`; the same identity passphrase-encrypted with age's scrypt recipient for
refuge-officer, \`officer.key\`) and a key manifest with that recipient, signed by a root key
held in memory. The input is $(sz "$big") from /dev/urandom (\`evidence.bin\`).

\`\`\`
# seal+upload (Refuge)
refuge-server --data D --root-pub ROOT --listen 127.0.0.1:PORT --rate-limit 100000 &
refuge-server publish --data D --root-pub ROOT manifest.json manifest.json.minisig   # through the admin socket
REFUGE_STATE_DIR=S refuge submit --server http://127.0.0.1:PORT --root-pub ROOT --proxy direct evidence.bin
# seal+upload (stock): sink = bench/internal/sink, writes each PUT to a file and fsyncs it and its directory
sink -dir D2 -listen 127.0.0.1:PORT2 &
age -r age1pq1... < evidence.bin | curl -sSf -T - http://127.0.0.1:PORT2/upload
# memory while streaming: the client's VmHWM is reset (echo 5 > /proc/PID/clear_refs) once
# it prints the phrase, then sampled every 50 ms; officer-light.key is officer.key at scrypt work factor 12
# open: BUNDLE is the ciphertext refuge-server stored for the submission above; before
# each open below, BUNDLE leaves the page cache (fsync, posix_fadvise DONTNEED), as a
# bundle carried in on removable media is not in it
refuge-officer open -i officer.key --passphrase-file pass.txt -o O1 BUNDLE
refuge-officer open -i officer-light.key --passphrase-file pass.txt -o O1 BUNDLE
age -d -i key.txt < BUNDLE | tar x -C O2
# open, like for like: script(1) gives age a terminal and types pass.txt at its prompt
script -qec "age -d -i officer.key < BUNDLE | tar x -C O2 && find O2 -exec sync {} +" /dev/null < pass.txt
# stages
refuge seal --manifest manifest.json --root-pub ROOT -o sealed.age evidence.bin
tusbench run -url http://127.0.0.1:PORT/v1/uploads -file sealed.age -refuge
age -d -i key.txt < BUNDLE > /dev/null
# servers (bench/tusbench, the same tus client for both; files from tusbench gen)
tusd -host 127.0.0.1 -port PORT3 -upload-dir T -base-path /files/ &     # tusd v2.9.1 from the Go module proxy
tusbench run -url URL -file big.age -n 1 -conc 1 [-refuge]
tusbench run -url URL -file small.age -n 64 -conc 64 [-refuge]
tusbench run -url URL -file big.age -n 1 -conc 1 -syncfs T             # like for like: tusd, then syncfs(2)
tusbench run -url URL -file small.age -n 64 -conc 64 -syncfs T
# physical limits
dd if=/dev/zero of=F bs=1M count=$big conv=fsync
age -r age1pq1... < evidence.bin > /dev/null
age -d -i key.txt < evidence.age > /dev/null
\`\`\`

Run it yourself: \`bench/run\` (about 10 minutes, ~20 GiB free disk), \`bench/run --no-4g\`, or
\`bench/run --quick\` (64 MiB, under 2 minutes; prints the table, leaves this file alone).
EOF
# The reading of the figures (slowest stage of each flow, what is below
# target and why) is written by hand in bench/analysis.md.
if [[ -f $repo/bench/analysis.md ]]; then
	{ echo; cat "$repo/bench/analysis.md"; } >>"$doc"
fi
say "wrote docs/BENCHMARKS.md and docs/benchmarks.svg"
