// Types for companion-core.js, which the browser loads as is (no build step).

export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';
export type { Decision } from './push-wire-format.js';
export { answerText, appLockChallenge, authorizationHeader, deviceRequestText, normalizeNumber, signedQuery } from './push-wire-format.js';
export interface TotpParams {
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
  period: number;
}

export declare const CLOCK_WARNING_MS: number;
export declare const RING_SEGMENTS: number;
export declare function decodeBase32(text: string): Uint8Array;
export declare function encodeBase32(bytes: Uint8Array): string;
export declare function encodeBase64Url(input: Uint8Array | ArrayBuffer): string;
export declare function decodeBase64Url(text: string): Uint8Array;
export declare function totpCounter(timeMs: number, period: number): number;
export declare function generateHotp(secret: Uint8Array, counter: number, params: Omit<TotpParams, 'period'>): Promise<string>;
export declare function generateTotp(secret: Uint8Array, timeMs: number, params: TotpParams): Promise<string>;
export declare function msRemaining(timeMs: number, period: number): number;
export declare function litSegments(timeMs: number, period: number): number;
export declare function clockOffset(serverTime: number, localNow: number): number;
export declare function isClockWrong(offsetMs: number): boolean;
export declare function sha256Base64Url(body: string | Uint8Array): Promise<string>;
export declare function pickLocale(languages: readonly string[]): 'en' | 'zh-TW';
export declare function parseHash(hash: string): { kind: 'enroll'; token: string } | { kind: 'approval'; approvalId: string } | { kind: 'none' };
