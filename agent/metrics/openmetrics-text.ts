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

/** Labels formatted once as `{a="x",b="y"}` (see labelText), reused by many samples. */
export interface LabelText {
  readonly text: string;
}

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
  if (!labels.length) return { text: '' };
  let t = '{';
  for (let i = 0; i < labels.length; i++) {
    const [k, v] = labels[i]!;
    if (!LABEL.test(k)) throw new Error(`invalid label name ${JSON.stringify(k)}`);
    t += `${i ? ',' : ''}${k}="${escapeLabelValue(v)}"`;
  }
  return { text: `${t}}` };
}

export interface OpenMetricsWriter {
  /**
   * Starts a family. Every sample of a family must follow its own family line, before the next
   * family starts: OpenMetrics forbids interleaving. A family with no samples is left out.
   */
  family(spec: FamilySpec): void;
  /** Adds a sample to the current family; null/undefined values are skipped (no data is not 0). */
  sample(labels: Labels | LabelText, value: number | boolean | null | undefined): void;
  /** The whole exposition, `# EOF` included. */
  text(): string;
}

/** Creates a writer that collects one exposition in memory. */
export function createOpenMetricsWriter(): OpenMetricsWriter {
  const parts: string[] = [];
  const seen = new Set<string>();
  let header = '';
  let sampleName = '';
  let pending = false;

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
      sampleName = spec.type === 'counter' ? `${spec.name}_total` : spec.name;
      pending = true;
    },
    sample(labels, value) {
      if (value === null || value === undefined) return;
      if (!sampleName) throw new Error('sample() before family()');
      if (pending) {
        parts.push(header);
        pending = false;
      }
      const l = 'text' in labels ? labels.text : labelText(labels).text;
      parts.push(`${sampleName}${l} ${typeof value === 'boolean' ? (value ? '1' : '0') : formatValue(value)}\n`);
    },
    text() {
      return `${parts.join('')}# EOF\n`;
    },
  };
}
