// 4. Memory under flood: an agent printing 1 GiB to stdout through runAgentProcess (proc.ts) with a
// log file. This process's peak RSS (VmHWM, reset just before) must grow < 50 MB and the log must
// hold every byte. Baselines: the same bytes piped to /dev/null by the shell, and to a file.
//   node bench/scenarios/flood.mjs OUT.json [--mib N]
import { readFileSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../lib/build.mjs';
import { cleanupScratch, ms, ratio, scratchDir, timed } from '../lib/util.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { mib: { type: 'string', default: '1024' } } });
const BYTES = Number(values.mib) * 1024 * 1024;
const { runAgentProcess } = loadEngine();
const dir = scratchDir('flood');
// 80-byte lines, like a chatty agent; `head -c` makes it exactly BYTES.
const producer = `yes 'agent output line: the quick brown fox jumps over the lazy dog, 0123456789.' | head -c ${BYTES}`;

const status = () => readFileSync('/proc/self/status', 'utf8');
const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status())[1]);

async function shell(target) {
  const r = await timed(['sh', '-c', `${producer} > ${target}`]);
  if (r.code !== 0) throw new Error(`shell baseline failed: ${r.stderr}`);
  let size;
  if (target !== '/dev/null') {
    size = statSync(target).size;
    rmSync(target, { force: true });
  }
  return { ms: r.ms, size };
}

async function swarm() {
  const logFile = join(dir, 'agent.log');
  global.gc?.();
  const before = kb('VmRSS');
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    /* older kernels: VmHWM is the process's lifetime peak */
  }
  const hwmBefore = kb('VmHWM');
  let sampledPeak = before;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, kb('VmRSS'));
  }, 25);
  const t0 = performance.now();
  const r = await runAgentProcess({ argv: ['sh', '-c', producer], cwd: dir, env: process.env, timeoutMs: 10 * 60_000, logFile });
  const elapsed = performance.now() - t0;
  clearInterval(sampler);
  const peak = Math.max(kb('VmHWM'), sampledPeak);
  const size = statSync(logFile).size;
  rmSync(logFile, { force: true });
  return {
    ms: elapsed,
    exitCode: r.exitCode,
    stdoutBytes: r.stdoutBytes,
    logBytes: size,
    tailBytes: r.stdoutTail.length,
    rssBeforeMB: Math.round(before / 102.4) / 10,
    peakRssMB: Math.round(peak / 102.4) / 10,
    rssGrowthMB: Math.round((peak - before) / 102.4) / 10,
    hwmResetWorked: hwmBefore <= before + 1024,
  };
}

const devnull = await shell('/dev/null');
const toFile = await shell(join(dir, 'shell.log'));
const s = await swarm();
const result = {
  bytes: BYTES,
  shellDevNull: devnull,
  shellToFile: toFile,
  runAgentProcess: s,
  summary: {
    rssGrowthMB: s.rssGrowthMB,
    logComplete: s.logBytes === BYTES,
    logBytes: s.logBytes,
    swarmMs: ms(s.ms),
    shellDevNullMs: ms(devnull.ms),
    shellToFileMs: ms(toFile.ms),
    vsDevNull: ratio(s.ms, devnull.ms),
    vsShellToFile: ratio(s.ms, toFile.ms),
    throughputMiBps: Math.round(BYTES / 1048576 / (s.ms / 1000)),
    targets: { rssGrowthMaxMB: 50, rssMet: s.rssGrowthMB < 50, logCompleteMet: s.logBytes === BYTES },
  },
};
writeFileSync(positionals[0], JSON.stringify(result, null, 2));
cleanupScratch();
