"""The local stand-ins: what replaces AWS and the internet on a laptop.

The emulator services (moto server, the Bedrock stand-in, the sample feeds), the local Lambda runner that executes
a published version the emulator stores but cannot run, and the in-process runner behind `invoke run`; the local
target (`target.LocalTarget`) puts them behind `toolkit.target.Target`. The release toolkit reaches this package
only through `toolkit.target.open_target`.
"""
