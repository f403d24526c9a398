"""Every route the app registers, with who may use it and the parameters it reads.

The role, tenant and bad-input tests run over this table, and a route the app
registers without a row here fails the suite: a new page or endpoint has to say who
may use it before it ships.

Access levels: ``public`` (anyone), ``signed_in`` (any role), ``manager`` (managers and
admins), ``admin``, ``token`` (an API bearer token, whatever the browser session),
``operator`` (only with the METRICS_TOKEN, never a user's session).
In paths, ``{order}``, ``{email}``, ``{user}``, ``{token}``, ``{job}`` and ``{invoice}``
stand for an order, an outbox email, a user, an API token, a background job and an
invoice of the organization under test; a route holding one is checked across tenants."""

from __future__ import annotations

from dataclasses import dataclass

ADDRESS = ("address1", "address2", "city", "stateProvince", "zipPostalCode", "country")
VIEW_KEYS = ("q", "status", "rep", "channel", "type", "from", "to", "sort", "dir", "page", "cols", "view",
             "currency", "customer", "sku", "notstatus", "prep", "approval", "flag")
PERIOD = ("period", "from", "to", "currency")
DRAFT = (
    "customer.customerNumber", "customer.companyName", "customer.companyEmail", "customer.companyPhone",
    *(f"customer.billingAddress.{f}" for f in ADDRESS), *(f"shippingDetails.shippingAddress.{f}" for f in ADDRESS),
    "poNumber", "orderType", "channel", "terms", "priceTier", "currencyCode", "primarySalesRep.repNumber",
    "takenBySalesRep.repNumber", "shippingDetails.method", "shippingDetails.total", "tax", "notes",
    "line", "items-k1-sku", "items-k1-name", "items-k1-quantity", "items-k1-price", "items-k1-overridden",
)
CATALOG_VIEW = ("q", "sort", "dir", "page")
CATALOG_API_LIST = ("pageNumber", "pageSize", "sortOn", "sortDirection", "q")
API_SEARCH = ("pageNumber", "pageSize", "sortOn", "sortDirection", "filters", "q", "orderStatus", "orderNumber",
              "orderDate", "orderTotal", "sku", "repNumber", "invoiceNumber", "createdAt")


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str
    access: str
    query: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    json: bool = False
    sample: str = "{}"

    @property
    def tenant_bound(self) -> bool:
        return any(f"{{{name}}}" in self.path for name in ("order", "email", "user", "token", "job", "invoice",
                                                            "import"))


ROUTES = [
    Route("web.index", "GET", "/", "public"),
    Route("ops.healthz", "GET", "/healthz", "public"),
    Route("ops.readyz", "GET", "/readyz", "public"),
    Route("ops.prometheus_metrics", "GET", "/metrics", "operator"),
    Route("static", "GET", "/static/css/app.css", "public"),
    Route("web.login", "GET", "/login", "public", query=("next",)),
    Route("web.login", "POST", "/login", "public", query=("next",), form=("email", "password", "remember")),
    Route("web.logout", "POST", "/logout", "public"),
    Route("web.orders", "GET", "/orders", "signed_in", query=VIEW_KEYS),
    Route("web.orders_csv", "GET", "/orders.csv", "signed_in", query=(*VIEW_KEYS, "id", "all")),
    Route("web.bulk_start", "POST", "/orders/bulk", "manager",
          form=("token", "action", "target", "reason", "id", "all", "q")),
    Route("web.bulk_outcomes", "GET", "/orders/bulk/{job}/outcomes.csv", "manager"),
    Route("web.view_create", "POST", "/orders/views", "signed_in", form=("name", "shared", "q", "cols")),
    Route("web.view_open", "GET", "/orders/views/00000000-0000-4000-8000-000000000000", "signed_in"),
    Route("web.view_change", "POST", "/orders/views/00000000-0000-4000-8000-000000000000", "signed_in",
          form=("op", "name", "q")),
    Route("web.order_page", "GET", "/orders/{order}", "signed_in"),
    Route("web.order_panel", "GET", "/orders/{order}/shipping", "signed_in"),
    Route("web.edit_panel", "GET", "/orders/{order}/customer/edit", "signed_in"),
    Route("web.edit_panel", "POST", "/orders/{order}/shipping/edit", "signed_in",
          form=("method", "total", *ADDRESS)),
    Route("web.change_status", "POST", "/orders/{order}/status", "manager", form=("status", "version")),
    Route("web.issue_invoice", "POST", "/orders/{order}/invoices", "manager"),
    Route("web.void_invoice", "POST", "/invoices/{invoice}/void", "manager", form=("reason",)),
    Route("web.invoice_print_view", "GET", "/invoices/{invoice}", "signed_in"),
    Route("web.invoice_pdf", "GET", "/invoices/{invoice}/pdf", "signed_in", query=("download",)),
    Route("web.invoice_email_form", "GET", "/invoices/{invoice}/email", "manager"),
    Route("web.invoice_email_send", "POST", "/invoices/{invoice}/email", "manager", form=("recipients",)),
    Route("mail.confirmation_pdf_view", "GET", "/orders/{order}/confirmation.pdf", "signed_in", query=("download",)),
    Route("mail.print_view", "GET", "/orders/{order}/print", "signed_in"),
    Route("mail.confirmation_css", "GET", "/confirmation/style.css", "signed_in"),
    Route("mail.brand_logo", "GET", "/confirmation/logo", "signed_in"),
    Route("mail.email_form", "GET", "/orders/{order}/email", "signed_in"),
    Route("mail.email_send", "POST", "/orders/{order}/email", "signed_in", form=("recipients",)),
    Route("web.job_page", "GET", "/jobs/{job}", "signed_in"),
    Route("web.job_progress", "GET", "/jobs/{job}/progress", "signed_in"),
    Route("web.imports_page", "GET", "/imports", "manager"),
    Route("web.imports_upload", "POST", "/imports", "manager", form=("kind",)),
    Route("web.import_page", "GET", "/imports/{import}", "manager"),
    Route("web.import_apply", "POST", "/imports/{import}/apply", "manager", form=("errorPolicy",)),
    Route("web.import_rejected", "GET", "/imports/{import}/rejected.csv", "manager"),
    Route("web.import_template", "GET", "/imports/template/orders.xlsx", "manager"),
    Route("web.export_file", "GET", "/exports/customers.csv", "manager"),
    Route("mail.outbox_list", "GET", "/outbox", "manager", query=("status", "page")),
    Route("mail.outbox_detail", "GET", "/outbox/{email}", "manager"),
    Route("mail.outbox_body", "GET", "/outbox/{email}/body.html", "manager"),
    Route("mail.outbox_attachment", "GET", "/outbox/{email}/attachment.pdf", "manager"),
    Route("mail.outbox_retry", "POST", "/outbox/{email}/retry", "manager"),
    Route("mail.template_editor", "GET", "/settings/email-template", "admin", query=("order", "saved")),
    Route("mail.template_save", "POST", "/settings/email-template", "admin",
          form=("subject", "body", "action", "order")),
    Route("mail.template_preview", "POST", "/settings/email-template/preview", "admin",
          form=("subject", "body", "order")),
    Route("web.profile_password", "GET", "/profile/password", "signed_in", query=("next",)),
    Route("web.profile_password", "POST", "/profile/password", "signed_in", query=("next",),
          form=("current", "new", "confirm")),
    Route("admin.index", "GET", "/settings", "admin"),
    Route("admin.organization", "GET", "/settings/organization", "admin"),
    Route("admin.organization", "POST", "/settings/organization", "admin",
          form=("brand_display_name", "brand_address", "reply_to_email", "time_zone", "locale", "default_currency",
                "currencies", "order_number_prefix", "invoice_number_prefix")),
    Route("admin.lists", "GET", "/settings/lists", "admin"),
    Route("admin.change_list", "POST", "/settings/lists/channel", "admin", form=("op", "name", "new_name", "days")),
    Route("admin.branding_page", "GET", "/settings/branding", "admin"),
    Route("admin.branding_accent", "POST", "/settings/branding/accent", "admin", form=("accent",)),
    Route("admin.branding_accent_check", "POST", "/settings/branding/accent/check", "admin", form=("accent",)),
    Route("admin.branding_logo", "POST", "/settings/branding/logo", "admin", form=("op",)),
    Route("admin.branding_preview", "GET", "/settings/branding/preview.png", "admin", query=("order", "accent")),
    Route("admin.users_page", "GET", "/settings/users", "admin"),
    Route("admin.users_create", "POST", "/settings/users", "admin",
          form=("email", "name", "role", "rep_number", "password")),
    Route("admin.users_action", "POST", "/settings/users/{user}/role", "admin", form=("role",)),
    Route("admin.tokens_page", "GET", "/settings/tokens", "admin"),
    Route("admin.tokens_create", "POST", "/settings/tokens", "admin", form=("name", "scope", "expires")),
    Route("admin.tokens_revoke", "POST", "/settings/tokens/{token}/revoke", "admin"),
    Route("admin.audit_page", "GET", "/settings/audit", "admin", query=("action", "actor", "from", "to", "page")),
    Route("web.dashboard", "GET", "/dashboard", "manager", query=PERIOD),
    Route("web.rep_performance", "GET", "/dashboard/reps", "manager", query=(*PERIOD, "sort", "dir")),
    Route("web.rep_performance_csv", "GET", "/dashboard/reps.csv", "manager", query=(*PERIOD, "sort", "dir")),
    Route("web.attention_queue", "GET", "/attention", "manager"),
    Route("web.attention_count", "GET", "/attention/count", "manager"),
    Route("web.attention_process", "POST", "/attention/{order}/status", "manager"),
    Route("web.attention_retry_email", "POST", "/attention/{order}/email", "manager"),
    Route("web.decide_approval", "POST", "/orders/{order}/approval", "manager", form=("decision", "reason", "from")),
    Route("admin.review", "GET", "/settings/review", "admin"),
    Route("admin.review", "POST", "/settings/review", "admin",
          form=("pending_days", "below_list_percent", "discount_percent", "approval_total_USD",
                "approval_discount_percent", "approval_below_list_percent", "approval_allows_email")),
    Route("builder.new_order", "GET", "/orders/new", "signed_in"),
    Route("builder.submit", "POST", "/orders/new", "signed_in", form=DRAFT),
    Route("builder.restore", "POST", "/orders/new/draft", "signed_in", form=("poNumber", "line")),
    Route("builder.customer_options", "GET", "/orders/new/customers", "signed_in", query=("q",)),
    Route("builder.product_options", "GET", "/orders/new/products", "signed_in",
          query=("q", "priceTier", "currencyCode")),
    Route("builder.po_check", "GET", "/orders/new/po-check", "signed_in",
          query=("customer.customerNumber", "poNumber")),
    # The draft's fields are read by one function for every builder fragment: their bad
    # input is tried on submit and recalc; the other fragments on the fields they add.
    Route("builder.choose_customer", "POST", "/orders/new/customer", "signed_in",
          form=("choose", "customer.customerNumber")),
    Route("builder.add_line", "POST", "/orders/new/lines", "signed_in", form=("add", "quantity", "currencyCode")),
    Route("builder.quick_add", "POST", "/orders/new/quick-add", "signed_in", form=("quick_add", "priceTier")),
    Route("builder.recalc", "POST", "/orders/new/recalc", "signed_in", form=(*DRAFT, "remove", "reset")),
    Route("web.products", "GET", "/products", "signed_in", query=CATALOG_VIEW),
    Route("web.product_create", "POST", "/products", "admin",
          form=("sku", "name", "minimumOrderQuantity", "quantityIncrement", "active", "price-0-0")),
    Route("web.product_page", "GET", "/products/WDG-BLU-L", "signed_in"),
    Route("web.product_save", "POST", "/products/WDG-BLU-L", "admin",
          form=("name", "minimumOrderQuantity", "quantityIncrement", "active", "price-0-0")),
    Route("web.customers", "GET", "/customers", "signed_in", query=CATALOG_VIEW),
    Route("web.customer_page", "GET", "/customers/CUST-1042", "signed_in"),
    Route("web.customer_save", "POST", "/customers/CUST-1042", "manager",
          form=("companyName", "companyEmail", "companyPhone", "defaultPriceTier", "defaultTerms", "defaultCurrency",
                "billing_city", "shipping_country")),
    Route("api.search_products", "GET", "/api/products", "token", query=CATALOG_API_LIST),
    Route("api.get_product", "GET", "/api/products/WDG-BLU-L", "token"),
    Route("api.put_product", "PUT", "/api/products/WDG-BLU-L", "token", json=True,
          sample='{"name": "Widget Blue Large", "prices": [{"priceTier": "Wholesale", "currencyCode": "USD", "price": 12.5}]}'),
    Route("api.bulk_products", "POST", "/api/products/bulk", "token", query=("errorPolicy",), json=True,
          sample='{"products": [{"sku": "WDG-BLU-L", "name": "Widget Blue Large"}]}'),
    Route("api.search_customers", "GET", "/api/customers", "token", query=CATALOG_API_LIST),
    Route("api.get_customer", "GET", "/api/customers/CUST-1042", "token"),
    Route("api.put_customer", "PUT", "/api/customers/CUST-1042", "token", json=True,
          sample='{"companyName": "Brightfield Supply Co.", "defaultTerms": "Net30"}'),
    Route("api.bulk_customers", "POST", "/api/customers/bulk", "token", query=("errorPolicy",), json=True,
          sample='{"customers": [{"customerNumber": "CUST-1042", "companyName": "Brightfield Supply Co."}]}'),
    Route("api.reference", "GET", "/api/docs", "public"),
    Route("api.openapi_document", "GET", "/api/openapi.json", "public"),
    Route("api.search_orders", "GET", "/api/orders", "token", query=API_SEARCH),
    Route("api.create_order", "POST", "/api/orders", "token", json=True),
    Route("api.import_orders", "POST", "/api/orders/bulk", "token", query=("errorPolicy",), json=True),
    Route("api.get_order", "GET", "/api/orders/{order}", "token"),
    Route("api.update_shipping", "PUT", "/api/orders/{order}/shipping", "token", json=True,
          sample='{"method": "UPS Ground", "total": 5}'),
    Route("api.update_customer", "PUT", "/api/orders/{order}/customer", "token", json=True,
          sample='{"customerNumber": "C-1", "companyName": "Someone Else"}'),
    Route("api.email_order", "POST", "/api/orders/{order}/email", "token", json=True,
          sample='{"emailAddresses": ["someone@example.com"]}'),
]
