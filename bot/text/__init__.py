"""How text is read and shown, the same everywhere: folding (`folding`: case and accents), keywords and phrases
as whole words (`phrases`), the words of a post (`terms`), text made safe to show (`printable`) and due times
and ages in words (`due`). A leaf: imports nothing of ours outside this package."""
