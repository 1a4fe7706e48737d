# Sourced by scripts/bench.sh and scripts/soak.sh.
# The ids of the BPF objects a process holds through its descriptors (links and programs say
# prog_id, maps map_id), one per line: what is its own even when other tracers load programs of
# the same names.
bpf_ids() { # pid kind (prog or map)
  cat /proc/"$1"/fdinfo/* 2>/dev/null | awk -v key="$2_id:" '$1 == key { print $2 }' | sort -un
}
