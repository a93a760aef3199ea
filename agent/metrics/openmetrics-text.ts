// A small writer for the OpenMetrics 1.0 text format: metric families (HELP, TYPE, UNIT lines)
// followed by their samples, closed by `# EOF`. It knows nothing about Proxmox; the fleet's
// families are chosen in build-fleet-metrics.ts.

export type MetricType = 'gauge' | 'counter';

export interface FamilySpec {
  /** The family name; a counter's samples are named `<name>_total`. */
  name: string;
  type: MetricType;
  help: string;
  /** OpenMetrics requires the unit to be the name's last component (`_bytes`, `_seconds`). */
  unit?: string;
}

export type Labels = ReadonlyArray<readonly [string, string]>;

/** Labels formatted once as `{a="x",b="y"}` in UTF-8 (see labelText), reused by many samples. */
export interface LabelText {
  readonly bytes: Buffer;
}

const NO_LABELS: LabelText = { bytes: Buffer.alloc(0) };
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a label value: backslash, double quote and line feed (OpenMetrics §"Escaping"). */
export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value as OpenMetrics spells it (NaN, +Inf, -Inf; plain decimal or exponent otherwise). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Formats (and checks) a label set once; at 10,000 guests each guest's id labels serve ~15 samples. */
export function labelText(labels: Labels): LabelText {
  if (!labels.length) return NO_LABELS;
  let t = '{';
  for (let i = 0; i < labels.length; i++) {
    const [k, v] = labels[i]!;
    if (!LABEL.test(k)) throw new Error(`invalid label name ${JSON.stringify(k)}`);
    t += `${i ? ',' : ''}${k}="${escapeLabelValue(v)}"`;
  }
  return { bytes: Buffer.from(`${t}}`) };
}

export interface OpenMetricsWriter {
  /**
   * Starts a family. Every sample of a family must follow its own family line, before the next
   * family starts: OpenMetrics forbids interleaving. A family with no samples is left out.
   */
  family(spec: FamilySpec): void;
  /** Adds a sample to the current family; null/undefined values are skipped (no data is not 0). */
  sample(labels: Labels | LabelText, value: number | boolean | null | undefined): void;
  /** Ends the exposition with `# EOF`, hands over the last chunk and returns the total byte count. */
  finish(): number;
}

/** Receives the exposition in order, chunk by chunk; a chunk is reused afterwards, so consume or copy it at once. */
export type ChunkSink = (chunk: Uint8Array) => void;

/**
 * Creates a writer that encodes straight into one reused buffer and hands it to `sink` whenever it
 * fills. At 10,000 guests an exposition has ~150,000 lines (~10 MB): one string per line (then a
 * join and a UTF-8 encode) made the garbage collector the biggest cost of the metrics stage, and
 * the whole text in memory would grow the agent's resident size with the fleet.
 */
export function createOpenMetricsWriter(sink: ChunkSink, chunkBytes = 256 * 1024): OpenMetricsWriter {
  let buf = Buffer.allocUnsafe(chunkBytes);
  let off = 0;
  let total = 0;
  const seen = new Set<string>();
  let header = '';
  let name: Buffer = Buffer.alloc(0);
  let pending = false;
  let started = false;

  const flush = () => {
    if (!off) return;
    sink(buf.subarray(0, off));
    total += off;
    off = 0;
  };
  const room = (n: number) => {
    if (off + n <= buf.length) return;
    flush();
    if (n > buf.length) buf = Buffer.allocUnsafe(n);
  };
  const put = (b: Uint8Array) => {
    room(b.length);
    buf.set(b, off);
    off += b.length;
  };
  const putText = (t: string) => {
    room(Buffer.byteLength(t));
    off += buf.write(t, off, 'utf8');
  };

  return {
    family(spec) {
      if (!NAME.test(spec.name)) throw new Error(`invalid metric family name ${JSON.stringify(spec.name)}`);
      if (seen.has(spec.name)) throw new Error(`metric family ${spec.name} started twice (OpenMetrics forbids interleaving)`);
      if (spec.unit && !spec.name.endsWith(`_${spec.unit}`)) throw new Error(`unit ${spec.unit} is not the last component of ${spec.name}`);
      if (spec.type === 'counter' && spec.name.endsWith('_total')) throw new Error(`counter family ${spec.name}: name it without _total (samples get the suffix)`);
      seen.add(spec.name);
      header =
        `# HELP ${spec.name} ${escapeHelp(spec.help)}\n# TYPE ${spec.name} ${spec.type}\n` +
        (spec.unit ? `# UNIT ${spec.name} ${spec.unit}\n` : '');
      name = Buffer.from(spec.type === 'counter' ? `${spec.name}_total` : spec.name);
      pending = true;
      started = true;
    },
    sample(labels, value) {
      if (value === null || value === undefined) return;
      if (!started) throw new Error('sample() before family()');
      if (pending) {
        putText(header);
        pending = false;
      }
      put(name);
      put('bytes' in labels ? labels.bytes : labelText(labels).bytes);
      // A value is at most 24 ASCII characters (e.g. -1.7976931348623157e+308).
      room(32);
      buf[off++] = 0x20;
      const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      if (Number.isSafeInteger(v)) {
        // Most values are whole numbers (bytes, seconds, counts): digits written directly, with
        // no string made for them, the same text String(v) gives.
        let n = v;
        if (n < 0) {
          buf[off++] = 0x2d;
          n = -n;
        }
        let end = off;
        for (let m = n; m >= 10; m = Math.floor(m / 10)) end++;
        for (let i = end; i >= off; i--) {
          buf[i] = 0x30 + (n % 10);
          n = Math.floor(n / 10);
        }
        off = end + 1;
      } else {
        off += buf.write(formatValue(v), off, 'latin1');
      }
      buf[off++] = 0x0a;
    },
    finish() {
      putText('# EOF\n');
      flush();
      return total;
    },
  };
}
