/** Starts the line a bench backend prints after a requested GC: then its count and heap as JSON */
export const GC_MARKER = '[bench] gc done';
