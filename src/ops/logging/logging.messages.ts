export const PRETTY_UNAVAILABLE = (reason: string) =>
  `Pretty logs were asked for, but pino-pretty (a devDependency) cannot be loaded (${reason}): ` +
  'logging JSON lines instead';
