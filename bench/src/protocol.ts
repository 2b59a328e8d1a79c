/** Printed by a bench backend on stdout after each SIGUSR2-triggered GC, followed by its process.memoryUsage() as JSON */
export const GC_MARKER = '[bench] gc done ';
