// The small interface every part uses to talk to one Proxmox cluster. The undici implementation
// lives in pve-client.ts; nothing else imports undici.
import type { PmiError } from '../errors.ts';

export type QueryValue = string | number | boolean;
export type Query = Record<string, QueryValue | undefined>;

export interface RequestOptions {
  /** Overrides the cluster's timeoutMs for this call. */
  timeoutMs?: number;
  /** Turn off GET retries for this call (e.g. when following a task, where the caller loops). */
  retries?: number;
  /** Aborts the call (and its retries) from outside, e.g. when a cluster's poll budget runs out. */
  signal?: AbortSignal;
  /** Also counted into this object (requests, errors, retries), so a caller can measure its own share. */
  stats?: PveClientStats;
}

export interface PveClientStats {
  requests: number;
  errors: number;
  retries: number;
}

/** A certificate an endpoint presented in a TLS handshake (#15: the free second certificate source). */
export interface PeerCertificate {
  /** SHA-256, colon-separated upper-case hex. */
  fingerprint: string;
  subject: string | null;
  issuer: string | null;
  /** Epoch seconds. */
  notbefore: number | null;
  notafter: number | null;
  /** subjectAltName as the certificate lists it ("DNS:pve1, IP Address:10.0.0.1"). */
  san: string | null;
  /** Epoch ms of the handshake. */
  seenAt: number;
}

export interface PveClient {
  /** Our configured cluster name. */
  readonly cluster: string;
  /** The per-request timeout (cluster timeoutMs), when the implementation has one. */
  readonly timeoutMs?: number;
  /** The endpoint currently in use (base URL, e.g. https://127.0.0.1:8006). */
  endpoint(): string;
  /** GET /api2/json{path}; resolves to the unwrapped `data`. Retried on transient errors. */
  get<T = unknown>(path: string, query?: Query, opts?: RequestOptions): Promise<T>;
  /** POST (form-encoded); never retried here: the caller decides, because POSTs are not idempotent. */
  post<T = unknown>(path: string, params?: Query, opts?: RequestOptions): Promise<T>;
  /** DELETE; never retried here. */
  delete<T = unknown>(path: string, query?: Query, opts?: RequestOptions): Promise<T>;
  /**
   * The certificate `endpoint` presented in its latest TLS handshake, recorded on connections the
   * client makes anyway (never a connection of its own); undefined before any.
   */
  peerCertificate?(endpoint: string): PeerCertificate | undefined;
  /** Counters since the last call to takeStats() (requests made, failed, retried). */
  takeStats(): PveClientStats;
  close(): Promise<void>;
}

/**
 * Errors thrown by a PveClient are PmiError with one of the PVE_* codes and details
 * { endpoint, method, path, status?, statusText? }.
 * PVE_HTTP with status 5xx, PVE_NODE_OFFLINE (595/596), PVE_UNREACHABLE and PVE_TIMEOUT are transient.
 */
export type PveError = PmiError;
