"""The local stand-ins: what replaces AWS and the internet on a laptop.

The emulator services (moto server, the Bedrock stand-in, the sample feeds), the local Lambda runner that executes
a published version the emulator stores but cannot run, and the in-process runner behind `invoke run`. The release
toolkit reaches this package only through `toolkit.local_target`.
"""
