from sqlalchemy import func, select

from app.db.models import ApiToken, Order, Organization, Product, SalesRep, User
from app.domain.tokens import hash_secret


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_orgs_users_tokens_commands(app, db_session):
    result = run(app, "orgs", "create", "Brightfield Supply", "--tiers", "Wholesale,Retail,Key", "--currency", "CAD")
    assert result.exit_code == 0, result.output
    slug = result.output.strip().splitlines()[-1]
    assert slug == "brightfield-supply"
    org = db_session.scalar(select(Organization).where(Organization.slug == slug))
    assert (org.price_tiers, org.default_currency) == (["Wholesale", "Retail", "Key"], "CAD")

    result = run(app, "users", "create", "--org", slug, "--email", "Jo@Example.com", "--password", "s3cret-pass",
                 "--role", "rep", "--rep-number", "REP-9", "--first-name", "Jo", "--last-name", "Reyes")
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "jo@example.com"))
    assert user.role == "rep" and user.password_hash != "s3cret-pass"
    assert user.sales_rep.rep_number == "REP-9" and user.sales_rep.full_name == "Jo Reyes"

    result = run(app, "tokens", "create", "--org", slug, "--name", "ERP")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    token = db_session.scalar(select(ApiToken))
    assert token.secret_hash == hash_secret(secret) and secret not in (token.secret_hash, token.prefix)
    assert secret.startswith(token.prefix)


def test_bad_arguments_give_one_line_and_nonzero_exit(app, db_session):
    cases = [
        ("orgs", "create", "X", "--currency", "ZZZ"),
        ("orgs", "create", "X", "--tiers", ","),
        ("users", "create", "--org", "missing", "--email", "a@example.com", "--password", "longenough", "--role", "rep"),
        ("tokens", "create", "--org", "missing", "--name", "x"),
        ("users", "create", "--org", "x", "--email", "a@example.com", "--password", "p", "--role", "boss"),
    ]
    for args in cases:
        result = run(app, *args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output
        assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1, result.output
    run(app, "orgs", "create", "Acme")
    result = run(app, "users", "create", "--org", "acme", "--email", "bad", "--password", "short", "--role", "rep")
    assert result.exit_code == 1
    assert "email" in result.output and "password" in result.output


def test_demo_is_idempotent_and_complete(app, db_session):
    first = run(app, "demo")
    assert first.exit_code == 0, first.output
    assert "admin@demo.example" in first.output and "odk_" in first.output
    counts = {m.__name__: db_session.scalar(select(func.count()).select_from(m))
              for m in (Order, Product, SalesRep, User)}
    assert counts["Order"] >= 300 and counts["Product"] >= 50 and counts["SalesRep"] >= 5
    assert {u.role for u in db_session.scalars(select(User))} == {"rep", "manager", "admin"}
    statuses = set(db_session.scalars(select(Order.order_status)))
    assert statuses == {"Pending", "Processing", "Shipped", "Complete", "Cancelled"}
    assert len(set(db_session.scalars(select(Order.currency_code)))) >= 2
    assert len(set(db_session.scalars(select(Order.primary_rep_number)))) == 5
    again = run(app, "demo")
    assert again.exit_code == 0, again.output
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Order)) == counts["Order"]
    from app.db.models import OrderEvent

    assert set(db_session.scalars(select(OrderEvent.kind))) == {"imported"}
