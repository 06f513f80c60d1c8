// Types for push-wire-format.js, which the companion loads as is and the gateway imports.

export type Decision = 'approve' | 'deny' | 'not_me';
export interface DeviceCredentials {
  id: string;
  t: number;
  sig: string;
}

export declare const DEVICE_REQUEST_VERSION: 'gatehouse-device-v1';
export declare const ANSWER_VERSION: 'gatehouse-push-answer-v1';
export declare const AUTHORIZATION_SCHEME: 'Gatehouse-Device';
export declare const APP_LOCK_VERSION: 'gatehouse-push-app-lock-v1';
export declare function appLockChallenge(answer: string): Promise<string>;
export declare const DECISIONS: readonly Decision[];
export declare const APPROVAL_FIELDS: readonly ['approvalId', 'username', 'site', 'requestedAt', 'expiresAt', 'ip', 'browser', 'os'];
export declare const APPROVAL_ID: RegExp;
export declare function deviceRequestText(input: { method: string; path: string; t: number; bodyHash: string }): string;
export declare function answerText(input: { approvalId: string; decision: Decision; number: string; time: number }): string;
export declare function authorizationHeader(input: DeviceCredentials): string;
export declare function parseAuthorizationHeader(header: unknown): DeviceCredentials | undefined;
export declare function signedQuery(input: DeviceCredentials): string;
export declare function parseSignedQuery(query: Record<string, unknown> | undefined): DeviceCredentials | undefined;
export declare function normalizeNumber(text: string): string | undefined;
