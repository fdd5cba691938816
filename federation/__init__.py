"""The federation protocol as a library (feed format, signing, HTTP client, sync loop).

It never imports ``app``; the application provides the endpoints and the importer. The protocol
itself is built with the federation issue; this package marks its place in the layout.
"""
