import { LoggerService } from '@backstage/backend-plugin-api';

/** A logger that keeps `level message` lines, children included */
export function recordingLogger(): LoggerService & { lines: string[] } {
  const lines: string[] = [];
  const logger = {
    lines,
    error: (message: string) => lines.push(`error ${message}`),
    warn: (message: string) => lines.push(`warn ${message}`),
    info: (message: string) => lines.push(`info ${message}`),
    debug: (message: string) => lines.push(`debug ${message}`),
    child: () => logger,
  };
  return logger;
}
