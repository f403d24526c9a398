"""Order confirmations: the branded document (print view and PDF, cached per
fingerprint), the organization's sandboxed email template, the outbox that never
loses an email, SMTP delivery, and the pages and API endpoint that use them."""
