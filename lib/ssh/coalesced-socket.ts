// The TCP socket of an SSH connection, with every write of one turn of the event loop sent as one.
//
// ssh2 hands each SSH packet to its socket in three or four writes: with AES-GCM (its first choice
// where the CPU has AES) the clear length, the ciphertext and the tag apart (ssh2
// lib/protocol/crypto.js, AESGCMCipherNative.encrypt), chacha20-poly1305 likewise. Each write is a
// syscall and, with the host's sshd on the same machine or a fast link, a TCP segment the host's
// kernel and sshd take in one by one: a first deploy over 1 + 20 lab hosts made 1280 writes (61 a
// host, most of them 4 or 16 bytes). Corking the socket at the first write of a turn and uncorking
// it on the next tick gives one writev for all of them (a packet, or the several packets one call
// sends, such as an exec request and its stdin), and adds no wait: the tick runs before any I/O.
// Written here because ssh2 has no option for it; its `sock` option takes the socket.
import { connect, type Socket } from 'node:net';

/** Make `sock` send the writes of one tick together (see above). Returns the same socket. */
export function coalesceWrites<S extends Pick<Socket, 'write' | 'cork' | 'uncork'>>(sock: S): S {
  const write = sock.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  sock.write = function (this: S, ...args: unknown[]) {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    return (write as (...a: unknown[]) => boolean).apply(sock, args);
  } as S['write'];
  return sock;
}

/** A TCP connection to host:port (connecting: ssh2 waits for its 'connect'), writes coalesced. */
export function tcpSocket(host: string, port: number): Socket {
  return coalesceWrites(connect({ host, port }));
}
