import type { Lease } from '../../../../src/dhcp/lease.js';
import { golden } from './golden.js';

export const GUEST_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0xaa);

export const LEASE: Lease = {
  clientMac: GUEST_MAC,
  address: '10.244.1.7',
  prefixLength: 24,
  serverId: '169.254.75.10',
  gateway: '10.244.1.1',
  dns: ['10.96.0.10'],
  searchDomains: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
  domainName: 'default.svc.cluster.local',
  hostname: 'vm-one',
  mtu: 1400,
  routes: [
    { destination: '0.0.0.0/0', gateway: '10.244.1.1' },
    { destination: '10.200.0.0/16', gateway: '10.244.1.254' },
  ],
};

/** Header of a request from the guest; `flags` and the options vary per packet. */
const requestHeader = (flags: string) => `
01           // op: BOOTREQUEST
01           // htype: Ethernet
06           // hlen: 6
00           // hops: 0
39 03 f3 26  // xid: 0x3903f326
00 00        // secs: 0
${flags}        // flags
00 00 00 00  // ciaddr: 0.0.0.0
00 00 00 00  // yiaddr: 0.0.0.0
00 00 00 00  // siaddr: 0.0.0.0
00 00 00 00  // giaddr: 0.0.0.0
02 00 00 00 00 aa 00*10  // chaddr: 02:00:00:00:00:aa
00*64        // sname: empty
00*128       // file: empty
63 82 53 63  // magic cookie
`;

export const DISCOVER = golden(`${requestHeader('80 00')}
35 01 01                          // option 53 message type: DISCOVER
37 07 01 03 06 0f 77 79 1a        // option 55 parameter request list: 1 3 6 15 119 121 26
3d 07 01 02 00 00 00 00 aa        // option 61 client id: type 1, 02:00:00:00:00:aa
ff                                // end
`);

export const REQUEST = golden(`${requestHeader('00 00')}
35 01 03                          // option 53 message type: REQUEST
32 04 0a f4 01 07                 // option 50 requested address: 10.244.1.7
36 04 a9 fe 4b 0a                 // option 54 server identifier: 169.254.75.10
37 04 1a 79 03 01                 // option 55 parameter request list: 26 121 3 1
ff                                // end
00*8                              // pad
`);

const replyHeader = (flags: string) => `
02           // op: BOOTREPLY
01           // htype: Ethernet
06           // hlen: 6
00           // hops: 0
39 03 f3 26  // xid: copied
00 00        // secs: 0
${flags}        // flags: copied
00 00 00 00  // ciaddr: 0.0.0.0
0a f4 01 07  // yiaddr: 10.244.1.7
00 00 00 00  // siaddr: 0.0.0.0
00 00 00 00  // giaddr: copied
02 00 00 00 00 aa 00*10  // chaddr: copied
00*64        // sname
00*128       // file
63 82 53 63  // magic cookie
`;

const COMMON_FIRST = `
36 04 a9 fe 4b 0a                 // option 54 server identifier: 169.254.75.10
33 04 05 25 0a 80                 // option 51 lease time: 86313600 s (999 days)
`;
const SEARCH = `
77 1f                             // option 119 domain search, 31 bytes:
   07 "default" 03 "svc" 07 "cluster" 05 "local" 00  //   default.svc.cluster.local at 0
   c0 08                          //   svc.cluster.local = pointer to 8
   c0 0c                          //   cluster.local = pointer to 12
`;
const ROUTES = `
79 0c                             // option 121 classless routes, 12 bytes:
   10 0a c8 0a f4 01 fe           //   10.200.0.0/16 via 10.244.1.254
   00 0a f4 01 01                 //   0.0.0.0/0 via 10.244.1.1 (default route last)
`;

export const OFFER = golden(`${replyHeader('80 00')}
35 01 02                          // option 53 message type: OFFER
${COMMON_FIRST}
01 04 ff ff ff 00                 // option 1 subnet mask: 255.255.255.0 (requested first)
03 04 0a f4 01 01                 // option 3 router: 10.244.1.1
06 04 0a 60 00 0a                 // option 6 DNS: 10.96.0.10
0f 19 "default.svc.cluster.local" // option 15 domain name
${SEARCH}
${ROUTES}
1a 02 05 78                       // option 26 MTU: 1400
0c 06 "vm-one"                    // option 12 host name (not requested: after, by code)
ff                                // end
`);

export const ACK = golden(`${replyHeader('00 00')}
35 01 05                          // option 53 message type: ACK
${COMMON_FIRST}
1a 02 05 78                       // option 26 MTU: 1400 (client's order: 26 121 3 1)
${ROUTES}
03 04 0a f4 01 01                 // option 3 router: 10.244.1.1
01 04 ff ff ff 00                 // option 1 subnet mask: 255.255.255.0
06 04 0a 60 00 0a                 // option 6 DNS: 10.96.0.10
0c 06 "vm-one"                    // option 12 host name
0f 19 "default.svc.cluster.local" // option 15 domain name
${SEARCH}
ff                                // end
`);
