#!/usr/bin/env python3
"""A milter that does nothing, for bench/milter/run.sh: what Postfix spends talking to any milter.

    noop-milter.py HOST PORT

It negotiates what our milter negotiates (milter protocol 6, the same actions and protocol flags: every
header and body chunk sent, no reply to any of them), reads every command, and answers only end of message,
with continue. Its own CPU is measured apart from Postfix's.
"""
import asyncio, struct, sys

# analyzer/Milter/MilterSession.cs: WantedActions and WantedProtocol.
ACTIONS = 0x01 | 0x02 | 0x10 | 0x20 | 0x100
PROTOCOL = (0x100 | 0x200 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80 | 0x40000 | 0x80000
            | 0x100000)


async def session(reader, writer):
    try:
        while True:
            length = struct.unpack(">I", await reader.readexactly(4))[0]
            frame = await reader.readexactly(length)
            command = frame[:1]
            if command == b"O":
                version, actions, protocol = struct.unpack(">III", frame[1:13])
                writer.write(struct.pack(">IcIII", 13, b"O", min(version, 6), ACTIONS & actions, PROTOCOL & protocol))
            elif command == b"E":
                writer.write(b"\x00\x00\x00\x01c")
            elif command == b"Q":
                break
            # Every other command (macros, connect ... body, abort) needs no reply under the flags above.
            if command in (b"O", b"E"):
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(session, sys.argv[1], int(sys.argv[2]))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
