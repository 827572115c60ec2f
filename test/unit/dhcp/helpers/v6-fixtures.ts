import { golden } from './golden.js';

// A SOLICIT as dhclient -6 sends it, field by field.
export const SOLICIT = golden(`
  01                                          // msg-type SOLICIT
  ab cd ef                                    // transaction-id
  00 01 00 0e                                 // Client Identifier, 14 bytes
  00 01 00 01 2a 2b 2c 2d 02 00 00 00 00 aa   //   DUID-LLT, Ethernet, time, 02:00:00:00:00:aa
  00 06 00 04 00 17 00 18                     // Option Request: 23, 24
  00 08 00 02 00 00                           // Elapsed Time 0
  00 03 00 0c                                 // IA_NA, 12 bytes
  00 00 00 2a 00 00 0e 10 00 00 15 18         //   IAID 42, T1 3600, T2 5400
`);
