"""Citizens' comments and complaints: counter QR codes, the phone form, status pages, and the
managers' view of comments (issue 11, citizen side). See README.md for the module table."""
