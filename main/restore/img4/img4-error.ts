/** A malformed or unexpected IMG4 structure (restore-stack §6). Every parser here throws only this. */
export class Img4Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Img4Error';
  }
}
