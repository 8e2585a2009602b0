"""`StateTable` (DynamoDB, the store's key design) and `Secrets` (SSM SecureString parameters)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from services.adapters.dynamodb_store import GSI1, KEY_ATTRIBUTES, TTL_ATTRIBUTE


class StateTable(pulumi.ComponentResource):
    """On-demand, point-in-time recovery, encrypted with a KMS key, TTL on claims and cursors."""

    def __init__(self, name: str, *, tags: Mapping[str, str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("loadshed:state:StateTable", name, None, opts)
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            range_key="sk",
            attributes=[aws.dynamodb.TableAttributeArgs(name=k, type=t) for k, t in KEY_ATTRIBUTES.items()],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=GSI1,
                    projection_type="ALL",
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="gsi1pk", key_type="HASH"),
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="gsi1sk", key_type="RANGE"),
                    ],
                )
            ],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=TTL_ATTRIBUTE, enabled=True),
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"table_name": self.table.name})


class Secrets(pulumi.ComponentResource):
    """Bot token, ESP key and webhook secret as SecureString parameters; functions read them at
    run time (cached per container), so they never appear in environment variables or logs."""

    def __init__(
        self,
        name: str,
        *,
        values: Mapping[str, pulumi.Input[str]],
        prefix: str,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("loadshed:state:Secrets", name, None, opts)
        self.parameters = {
            key: aws.ssm.Parameter(
                f"{name}-{key}",
                name=f"{prefix}/{key}",
                type="SecureString",
                value=value,
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, value in values.items()
        }
        self.register_outputs({})
