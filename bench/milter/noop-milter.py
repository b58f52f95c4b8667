#!/usr/bin/env python3
"""A milter that does nothing, for bench/milter/run.sh: what Postfix spends talking to any milter.

    noop-milter.py HOST PORT

It negotiates what our milter negotiates (milter protocol 6, the same actions and protocol flags: every
header and body chunk sent, no reply to any of them), reads every command, and answers only end of message,
with continue. Its own CPU is measured apart from Postfix's.

Like ours (analyzer/Milter/MilterServer.cs) it acknowledges every read at once (TCP_QUICKACK, which the kernel
clears again, so it is set after each read): Postfix writes the commands that get no reply one by one, and under
Nagle each waits for the acknowledgement of the one before, which a receiver with nothing to send delays by up
to 40 ms. Without it this milter ran at 196 messages/s with both cores mostly idle (bench/README.md, issue 25).
"""
import asyncio, socket, struct, sys

# analyzer/Milter/MilterSession.cs: WantedActions and WantedProtocol.
ACTIONS = 0x01 | 0x02 | 0x10 | 0x20 | 0x100
PROTOCOL = (0x100 | 0x200 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80 | 0x40000 | 0x80000
            | 0x100000)


class Session(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.socket = transport.get_extra_info("socket")
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()

    def data_received(self, data):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        self.buffer += data
        replies = []
        while len(self.buffer) >= 4:
            length = struct.unpack_from(">I", self.buffer)[0]
            if len(self.buffer) < 4 + length:
                break
            frame = bytes(self.buffer[4:4 + length])
            del self.buffer[:4 + length]
            command = frame[:1]
            if command == b"O":
                version, actions, protocol = struct.unpack(">III", frame[1:13])
                replies.append(struct.pack(">IcIII", 13, b"O", min(version, 6), ACTIONS & actions, PROTOCOL & protocol))
            elif command == b"E":
                replies.append(b"\x00\x00\x00\x01c")
            elif command == b"Q":
                self.transport.close()
                return
            # Every other command (macros, connect ... body, abort) needs no reply under the flags above.
        if replies:
            self.transport.write(b"".join(replies))


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Session, sys.argv[1], int(sys.argv[2]))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
