import fc from 'fast-check';
import { describe, it } from 'vitest';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import { checkTicket } from '../../../main/tss/ticket-check';
import { TssError } from '../../../main/tss/tss-error';
import { parseTssAnswer, ticketFromAnswer } from '../../../main/tss/tss-response';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, mutated, type ParserUnderFuzz } from './fuzz-harness';
import { damagedXmlPlists, plistValues, xmlExtremes, xmlTagSoup } from './hostile-plists';

/** What the TSS client does with an HTTP body: parse the answer, take the ticket, check it against the phone. */
const tss: ParserUnderFuzz = {
  name: 'TSS answer',
  parse: (input) => {
    const answer = parseTssAnswer(Buffer.from(input).toString('utf8'));
    const ticket = ticketFromAnswer(answer);
    checkTicket(ticket, { ecid: 0x1234n, chipId: 0x8010, boardId: 0x0c, apNonce: new Uint8Array(32) });
    return answer;
  },
  typedErrors: [TssError],
};

const head = fc.tuple(fc.oneof(fc.constantFrom('0', '94', '100', '99999'), fc.string({ maxLength: 12 })), fc.string({ maxLength: 600 }));
const answer = (status: string, message: string, plist: Uint8Array): Buffer =>
  Buffer.concat([Buffer.from(`STATUS=${status}&MESSAGE=${message}&REQUEST_STRING=`), plist]);

const tickets = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(fc.constant(Buffer.from('3082000c16044d344d3402010031003100', 'hex'))));
const plists = fc.oneof(
  damagedXmlPlists,
  xmlTagSoup,
  xmlExtremes,
  fc.tuple(tickets, plistValues).map(([ticket, other]) => encodeXmlPlist({ ApImg4Ticket: Buffer.from(ticket), Other: other })),
);

describe('TSS answers under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes, with and without a status line', async () => {
    await fuzzRandomBytes(tss, { numRuns: 200 });
    await fuzzRandomBytes(tss, { numRuns: 150, prefix: Buffer.from('STATUS=0&MESSAGE=SUCCESS&REQUEST_STRING=<?xml') });
  });

  it('status lines of any shape around hostile plists and hostile tickets', async () => {
    await fuzzParser(
      tss,
      fc.tuple(head, plists).map(([[status, message], plist]) => answer(status, message, plist)),
      { numRuns: 200 },
    );
  });
});
