#!/bin/sh
# The Align4j side of trl_grpo_bench.py (io.align4j.train.GrpoSpeedBench), with bin/align4j's environment.
# Usage: bench/python/align4j_grpo_bench.sh 15M 4 8 32 64 6   (shape, prompts, generations, prompt and completion tokens, steps)
set -e
cd "$(dirname "$0")/../.."
[ -d target/test-classes ] || mvn -B -q -o test-compile
[ -f target/bench-classpath.txt ] || mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt
export MKL_DYNAMIC=FALSE OMP_DYNAMIC=FALSE MKL_CBWR=AUTO,STRICT OMP_WAIT_POLICY=PASSIVE MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296
exec java ${JAVA_HEAP:-} --add-modules jdk.incubator.vector -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench-classpath.txt)" io.align4j.train.GrpoSpeedBench "$@"
