"""The MongoDB phase of bench/run_bench.py (run it through scripts/bench.sh --phases mongo).

Brings up a local sharded cluster (`aviary cluster up`), loads --mongo-mib MiB of generated JSON
documents into it, sharded by hashed _id (`aviary load`), then runs, alternating, --runs times:
  cursor     bench/mongo_scan: a plain libmongoc cursor per shard, one thread each, reading every
             document straight from its shard and finding its text field;
  scan       an Aviary job that reads every document and emits nothing (bench/scan_plugin.cc),
             one map task per shard: the same reads at the same parallelism, plus the engine;
  wordcount  Aviary's wordcount over the collection's text field, output checked against
             bench/wc_reference over the same texts.
The cluster's own processes are daemons outside the measured process tree, so only wall times
(and documents/s, MB/s of BSON read) are compared here.
"""
import json
import os
import shutil
import subprocess
import tempfile


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def run(args, out, rb):
    aviary = args.aviary
    d, paths, nbytes = rb.corpus(args, args.mongo_mib, args.vocab, fmt="jsonl", files=1)
    cluster = os.path.join(args.build, "bench-mongo-cluster")
    subprocess.run([aviary, "cluster", "down", "--dir", cluster], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(cluster, ignore_errors=True)
    records = []
    try:
        rb.log(f"mongo: cluster up ({args.mongo_shards} shards) in {cluster}")
        rb.become_subreaper(False)  # the cluster's daemons are not ours to reap
        try:
            entry = sh([aviary, "cluster", "up", "--shards", str(args.mongo_shards), "--dir", cluster]).stdout.strip()
        finally:
            rb.become_subreaper(True)
        status = json.loads(subprocess.run([aviary, "cluster", "status", "--dir", cluster, "--json"],
                                           stdout=subprocess.PIPE, text=True).stdout)
        # Every coordinator: either may hold the lease (the other is a standby).
        coordinator = ",".join(c["address"] for c in status["coordinators"])
        shard_uris = [s["uri"] for s in status["shards"]]
        uri = f"{entry.rstrip('/')}/bench.docs" if entry.startswith("mongodb://") else f"mongodb://{entry}/bench.docs"
        rb.log(f"mongo: loading {nbytes / 1e6:.0f} MB of documents into {uri}")
        load = rb.measure([aviary, "load", "--input", paths[0], "--into", uri, "--shard-key", "_id", "--hashed"])
        if load["rc"] != 0:
            raise RuntimeError("aviary load failed: " + load["stderr"])
        load.update(engine="load", phase="mongo", run=0, bytes=nbytes)
        records.append(load)
        rb.log(f"mongo: loaded in {load['wall']:.1f} s")

        truth = texts_reference(args, rb, paths[0])
        scan_so = os.path.join(args.build, "lib", "bench", "scan.so")
        shards = len(shard_uris)
        for i in range(args.runs):
            jobs = [("cursor", None), ("aviary scan", scan_so), ("aviary wordcount", "wordcount")]
            jobs = jobs[i % 3:] + jobs[:i % 3]
            for name, job in jobs:
                os.makedirs(args.tmp, exist_ok=True)
                tmp = tempfile.mkdtemp(prefix="mongo-", dir=args.tmp)
                outdir = os.path.join(tmp, "out")
                if job is None:
                    cmd = [os.path.join(args.build, "bin", "mongo_scan"), "--ns", "bench.docs"] + shard_uris
                else:
                    cmd = [aviary, "submit", job, "--coordinator", coordinator, "--input", uri, "--output",
                           f"files:{outdir}", "--map-tasks", str(shards), "--wait", "--json"]
                rb.wait_quiet(args)
                r = rb.measure(cmd)
                r.update(engine=name, phase="mongo", run=i, bytes=nbytes, load_before=rb.load_avg())
                extra = {}
                try:
                    doc = json.loads(r["stdout"])
                except ValueError:
                    doc = {}
                if job is None:
                    extra = doc
                    r["documents"] = doc.get("documents")
                    r["bson_bytes"] = doc.get("bytes")
                else:
                    extra = {"job_s": doc.get("end_unix", 0) - doc.get("submit_unix", 0), "state": doc.get("state"),
                             "map_tasks": doc.get("maps_total"), "shards": doc.get("shards")}
                    r["documents"] = doc.get("input_records")
                    r["bson_bytes"] = doc.get("input_bytes")
                    if r["rc"] != 0:
                        rb.log(f"{name} failed: {r['stderr'][-1000:]}")
                r["extra"] = extra
                if job == "wordcount" and i == 0 and r["rc"] == 0:
                    counts = rb.Aviary.parse(outdir)
                    r["correct"] = counts == truth
                    if not r["correct"]:
                        rb.log(f"mongo wordcount differs from the reference ({len(counts)} vs {len(truth)} words)")
                shutil.rmtree(tmp, ignore_errors=True)
                del r["stdout"]
                docs = r.get("documents") or 0
                r["docs_per_s"] = int(docs) / r["wall"] if r["wall"] else None
                r["mb_per_s"] = int(r.get("bson_bytes") or 0) / 1e6 / r["wall"] if r["wall"] else None
                rb.log(f"  {name:>17}: wall {r['wall']:6.2f} s  {docs} docs  {r['docs_per_s'] or 0:9.0f} docs/s  "
                       f"{r['mb_per_s'] or 0:6.1f} MB/s")
                records.append(r)
            rb.save(out, records, "mongo")
    finally:
        subprocess.run([aviary, "cluster", "down", "--dir", cluster], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    summary = []
    for name in ["cursor", "aviary scan", "aviary wordcount"]:
        every = [r for r in records if r["engine"] == name]
        rs = [r for r in every if r["rc"] == 0]
        if not rs:
            if every:
                summary.append({"engine": name, "runs": 0, "failed": len(every)})
            continue
        summary.append({"engine": name, "runs": len(rs), "wall": rb.median([r["wall"] for r in rs]),
                        "job_s": rb.median([r["extra"].get("job_s") for r in rs if r["extra"].get("job_s")]),
                        "documents": rs[0].get("documents"), "bson_bytes": rs[0].get("bson_bytes"),
                        "docs_per_s": rb.median([r["docs_per_s"] for r in rs]),
                        "mb_per_s": rb.median([r["mb_per_s"] for r in rs]),
                        "correct": all(r.get("correct", True) for r in rs),
                        "checked": any("correct" in r for r in rs)})
    summary.append({"engine": "load", "wall": records[0]["wall"], "bytes": records[0]["bytes"]})
    return records, summary


def texts_reference(args, rb, path):
    """Word counts of the documents' text fields, by bench/wc_reference."""
    os.makedirs(args.tmp, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="texts-", dir=args.tmp)
    txt = os.path.join(tmp, "texts.txt")
    with open(path) as f, open(txt, "w") as out:
        for line in f:
            out.write(json.loads(line)["text"] + "\n")
    counts = rb.reference_counts(args, tmp, [txt])
    shutil.rmtree(tmp, ignore_errors=True)
    return counts


def report(args, records, summary, text, rb):
    rows = {s["engine"]: s for s in summary}
    failed = {name for name, s in rows.items() if s.get("failed") and not s.get("runs")}
    cursor = rows.get("cursor") if "cursor" not in failed else None
    lines = ["| Job | Wall (s) | Documents | Documents/s | MB/s (BSON) | Wall vs plain cursor | Output checked |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for name in ["cursor", "aviary scan", "aviary wordcount"]:
        s = rows.get(name)
        if not s:
            continue
        if name in failed:
            lines.append(f"| {name} | every run **FAILED** (see the raw results) | | | | | |")
            continue
        ratio = s["wall"] / cursor["wall"] if cursor and cursor["wall"] else None
        check = ("yes" if s["correct"] else "**MISMATCH**") if s.get("checked") else "-"
        label = {"cursor": "libmongoc cursor per shard (bench/mongo_scan)",
                 "aviary scan": "Aviary scan (map only, emits nothing)",
                 "aviary wordcount": "Aviary wordcount"}[name]
        lines.append(f"| {label} | {rb.fmt(s['wall'])} | {s['documents']} | {rb.fmt(s['docs_per_s'], 0)} | "
                     f"{rb.fmt(s['mb_per_s'], 1)} | {rb.fmt(ratio)}x | {check} |")
    load = rows.get("load", {})
    head = (f"{args.mongo_mib:g} MiB of JSON documents ({cursor['documents'] if cursor else '?'} documents) in a local "
            f"{args.mongo_shards}-shard cluster (`aviary cluster up`, shard servers are `aviary-shardserver`), "
            f"sharded by hashed `_id`; loading took {rb.fmt(load.get('wall'), 1)} s. One map task (one cursor) "
            f"per shard; wall times include job submission and scheduling. Machine: "
            f"{rb.machine_line(args, [r for r in records if 'load_before' in r])}.")
    if cursor and rows.get("aviary scan") and "aviary scan" not in failed:
        over = rows["aviary scan"]["wall"] / cursor["wall"] - 1
        head += f"\n\nEngine overhead of the scan over the plain cursor: **{over * 100:+.0f}%** (target <= 15%)."
    return rb.replace_block(text, "mongo", head + "\n\n" + "\n".join(lines))
