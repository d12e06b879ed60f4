"""LTI tool tables: platform registrations, deployments, login state, nonces, launches, platform keys,
placements and score posts

Revision ID: 0002_lti
Revises: 0001_store
Create Date: 2026-11-30 06:55:50.402014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_lti"
down_revision: str | Sequence[str] | None = "0001_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lti_platform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("auth_login_url", sa.String(length=1024), nullable=False),
        sa.Column("auth_token_url", sa.String(length=1024), nullable=False),
        sa.Column("key_set_url", sa.String(length=1024), nullable=False),
        sa.Column("auth_audience", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_platform")),
        sa.UniqueConstraint("issuer", "client_id", name=op.f("uq_lti_platform_issuer_client_id")),
    )
    op.create_table(
        "lti_platform_key_set",
        sa.Column("key_set_url", sa.String(length=1024), nullable=False),
        sa.Column(
            "jwks", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("fetched_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_set_url", name=op.f("pk_lti_platform_key_set")),
    )
    op.create_table(
        "lti_deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_deployment_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_deployment")),
        sa.UniqueConstraint("platform_id", "deployment_id", name=op.f("uq_lti_deployment_platform_id_deployment_id")),
    )
    with op.batch_alter_table("lti_deployment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_deployment_platform_id"), ["platform_id"], unique=False)

    op.create_table(
        "lti_launch",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("message_type", sa.String(length=64), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=True),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column(
            "claims", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_launch_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_launch")),
    )
    with op.batch_alter_table("lti_launch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_launch_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lti_launch_platform_id"), ["platform_id"], unique=False)

    op.create_table(
        "lti_line_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=True),
        sa.Column("offering_id", sa.String(length=255), nullable=False),
        sa.Column("lineitems_url", sa.String(length=1024), nullable=True),
        sa.Column("lineitem_url", sa.String(length=1024), nullable=True),
        sa.Column("score_maximum", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_line_item_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_line_item")),
        sa.UniqueConstraint(
            "platform_id",
            "deployment_id",
            "resource_link_id",
            name=op.f("uq_lti_line_item_platform_id_deployment_id_resource_link_id"),
        ),
    )
    with op.batch_alter_table("lti_line_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_line_item_offering_id"), ["offering_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lti_line_item_platform_id"), ["platform_id"], unique=False)

    op.create_table(
        "lti_login_state",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("binding_hash", sa.String(length=64), nullable=False),
        sa.Column("storage_target", sa.String(length=255), nullable=True),
        sa.Column(
            "login_params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("pending_launch_id", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_login_state_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_lti_login_state")),
    )
    with op.batch_alter_table("lti_login_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_login_state_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "lti_nonce",
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["lti_platform.id"], name=op.f("fk_lti_nonce_platform_id_lti_platform"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("platform_id", "nonce", name=op.f("pk_lti_nonce")),
    )
    with op.batch_alter_table("lti_nonce", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_nonce_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "lti_score_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("last_timestamp_us", sa.BigInteger(), nullable=False),
        sa.Column("last_idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_item_id"],
            ["lti_line_item.id"],
            name=op.f("fk_lti_score_post_line_item_id_lti_line_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_score_post")),
        sa.UniqueConstraint("line_item_id", "user_id", name=op.f("uq_lti_score_post_line_item_id_user_id")),
    )


def downgrade() -> None:
    op.drop_table("lti_score_post")
    with op.batch_alter_table("lti_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_nonce_expires_at"))

    op.drop_table("lti_nonce")
    with op.batch_alter_table("lti_login_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_login_state_expires_at"))

    op.drop_table("lti_login_state")
    with op.batch_alter_table("lti_line_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_line_item_platform_id"))
        batch_op.drop_index(batch_op.f("ix_lti_line_item_offering_id"))

    op.drop_table("lti_line_item")
    with op.batch_alter_table("lti_launch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_launch_platform_id"))
        batch_op.drop_index(batch_op.f("ix_lti_launch_expires_at"))

    op.drop_table("lti_launch")
    with op.batch_alter_table("lti_deployment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_deployment_platform_id"))

    op.drop_table("lti_deployment")
    op.drop_table("lti_platform_key_set")
    op.drop_table("lti_platform")
