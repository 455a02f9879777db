/** The peer sent something USB/IP v1.1.1 does not allow, or more than we accept: drop the connection. */
export class UsbipProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsbipProtocolError';
  }
}
