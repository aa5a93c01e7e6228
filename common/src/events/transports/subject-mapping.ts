/**
 * Maps event names to wire subjects (JetStream subjects, STAN channels) and back. The only place that
 * knows the mapping: a stream over `events.>` holds `events.ticket:created`; listeners see `ticket:created`.
 */
export class SubjectMapping {
  constructor(readonly prefix: string) {}
  toWire(subject: string): string {
    return `${this.prefix}.${subject}`;
  }
  fromWire(wireSubject: string): string {
    return wireSubject.startsWith(`${this.prefix}.`) ? wireSubject.slice(this.prefix.length + 1) : wireSubject;
  }
  get wildcard(): string {
    return `${this.prefix}.>`;
  }
}
