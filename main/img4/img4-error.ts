/** A malformed or unexpected IMG4 structure (docs/protocols/img4.md). Every parser here throws only this. */
export class Img4Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Img4Error';
  }
}
