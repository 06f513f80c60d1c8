// Types for companion-strings.js, which the browser loads as is.
export declare const STRINGS: Record<'en' | 'zh-TW', Record<string, string>>;
export declare function format(text: string, values?: Record<string, string | number>): string;
